package probes

import (
	"context"
	"io"
	"net/http"
	"time"

	cws "github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// Gin serves /gin/hello/:name and /gin/stream (c.Stream, which needs
// http.CloseNotifier).
func Gin() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	g.GET("/gin/hello/:name", func(c *gin.Context) {
		c.String(http.StatusOK, "gin "+Upper(c.Param("name"))+" "+c.Query("q"))
	})
	g.POST("/gin/json", func(c *gin.Context) {
		var in struct{ Name string }
		if err := c.BindJSON(&in); err != nil {
			return
		}
		c.JSON(http.StatusOK, gin.H{"hello": in.Name})
	})
	g.GET("/gin/stream", func(c *gin.Context) {
		n := 0
		c.Stream(func(w io.Writer) bool {
			n++
			c.SSEvent("tick", n)
			return n < 3
		})
	})
	return g
}

// Chi serves /chi/items/{id}, with a middleware.
func Chi() http.Handler {
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Chi", "mw")
			next.ServeHTTP(w, r)
		})
	})
	r.Get("/chi/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "chi "+Upper(chi.URLParam(r, "id")))
	})
	return r
}

// Echo serves /echo/users/:id and a streamed /echo/stream.
func Echo() http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.GET("/echo/users/:id", func(c echo.Context) error {
		return c.String(http.StatusOK, "echo "+Upper(c.Param("id")))
	})
	e.GET("/echo/stream", func(c echo.Context) error {
		res := c.Response()
		res.Header().Set("Content-Type", "text/plain")
		for i := range 3 {
			io.WriteString(res, string(rune('a'+i)))
			res.Flush()
		}
		return nil
	})
	return e
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// GorillaEcho echoes websocket messages with gorilla/websocket.
func GorillaEcho(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

// CoderEcho echoes websocket messages with coder/websocket (which calls
// WriteHeader(101) before Hijack).
func CoderEcho(w http.ResponseWriter, r *http.Request) {
	c, err := cws.Accept(w, r, &cws.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		mt, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, mt, msg); err != nil {
			return
		}
	}
}
