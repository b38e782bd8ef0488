package config_test

import (
	"fmt"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

func ExampleLoad() {
	cfg, err := config.Load([]string{"--http-socket", ":9090", "--goroutines", "100"}, []string{"UWSGI_MASTER=1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Strings("http-socket"), cfg.Int("goroutines"), cfg.Bool("master"))
	// Output: [:9090] 100 true
}

func ExampleConfig_Int() {
	cfg, _ := config.Load([]string{"-p", "4"}, nil)
	fmt.Println(cfg.Int("processes"), cfg.Int("workers"), cfg.Int("listen"))
	// Output: 4 4 100
}
