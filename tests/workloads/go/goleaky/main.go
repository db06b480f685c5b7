// SPDX-License-Identifier: MIT

// goleaky is the Go binary-inspection fixture: a few functions with
// recognizable names that leak goroutines and heap, so that the parser's
// answers (entries, names, file:line, inlined frames) can be compared with
// `go tool addr2line` and `nm` on the same binary. It waits for SIGUSR1
// (or exits at once with -once) so tracers can attach first.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

var sink [][]byte
var block = make(chan struct{})

//go:noinline
func leakGoroutines(n int) {
	for i := 0; i < n; i++ {
		go parkForever(i)
	}
}

//go:noinline
func parkForever(i int) {
	<-block
	fmt.Println("unreachable", i)
}

//go:noinline
func leakHeap(n, size int) {
	for i := 0; i < n; i++ {
		sink = append(sink, makeBuffer(size))
	}
}

// makeBuffer is small enough to be inlined into leakHeap: the parser must
// report it as an inlined frame of leakHeap.
func makeBuffer(size int) []byte {
	b := make([]byte, size)
	b[0] = 1
	return b
}

func main() {
	once := flag.Bool("once", false, "leak and exit without waiting")
	flag.Parse()
	if !*once {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGUSR1)
		fmt.Println("ready")
		<-ch
	}
	leakGoroutines(10)
	leakHeap(100, 4096)
	time.Sleep(10 * time.Millisecond)
	fmt.Println("goroutines", runtime.NumGoroutine(), "buffers", len(sink))
}
