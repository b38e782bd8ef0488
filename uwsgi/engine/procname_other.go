//go:build !linux

package engine

func setCommName(string) {}
