//go:build !race

package socket

const raceOn = false
