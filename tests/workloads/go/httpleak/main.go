// SPDX-License-Identifier: MIT

// httpleak is an HTTP client that never closes its response bodies, the
// goroutine leak net/http users meet most: each response keeps its
// connection's readLoop and writeLoop goroutines blocked. They are
// started by net/http, on a goroutine net/http started for the dial: the
// user's code is only in their creators' creators. The requests come
// from two functions with recognizable names, on lines marked
// "// request A" and "// request B":
//
//	leakA   5 requests, bodies never closed
//	leakB   3 requests, bodies never closed
//
// It serves the requests itself (a local listener), prints "ready PID",
// waits for SIGUSR1 (or starts at once with -now), leaks, prints
// "leaked" and waits for SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var kept []*http.Response // the leak: bodies nobody reads or closes

//go:noinline
func leakA(client *http.Client, url string, n int) {
	for i := 0; i < n; i++ {
		resp, err := client.Get(url) // request A
		if err != nil {
			panic(err)
		}
		kept = append(kept, resp)
	}
}

//go:noinline
func leakB(client *http.Client, url string, n int) {
	for i := 0; i < n; i++ {
		resp, err := client.Get(url) // request B
		if err != nil {
			panic(err)
		}
		kept = append(kept, resp)
	}
}

func main() {
	now := flag.Bool("now", false, "start at once instead of waiting for SIGUSR1")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	body := make([]byte, 256<<10) // more than the socket buffers take
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	url := "http://" + ln.Addr().String() + "/"
	client := &http.Client{Transport: &http.Transport{}}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM)
	fmt.Println("ready", os.Getpid())
	if !*now {
		<-sigs
	}
	leakA(client, url, 5)
	leakB(client, url, 3)
	time.Sleep(100 * time.Millisecond) // let every goroutine block
	fmt.Println("leaked")
	for s := range sigs {
		if s == syscall.SIGTERM {
			break
		}
	}
}
