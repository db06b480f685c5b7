// SPDX-License-Identifier: MIT

// stress: the Go runtime's hardest moments for a tracer that puts uprobes
// in it, for the target-safety soak (tests/soak). Each round:
//   - 48 goroutines recurse 20,000 frames deep (stacks grow by copying
//     and shrink again at the next GC),
//   - panics thrown from deep frames and recovered higher up, through
//     deferred calls,
//   - 20,000 short-lived goroutines,
//   - calls into C through cgo from many goroutines at once,
//   - tight loops without calls, long enough for asynchronous preemption,
// and prints one line of checksums. Every number is fixed by the input,
// never by timing, so a traced run must print byte for byte what an
// untraced run prints; a crash or a wrong result shows as a difference.
// Usage: stress ROUNDS [SCALE [PAUSE_MS]]: SCALE divides the work of a
// round (the hard-kill tests run many small rounds), PAUSE_MS sleeps
// between rounds.
package main

/*
#include <stdint.h>

static uint64_t c_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var scale = 1

//go:noinline
func deep(n int, acc uint64) uint64 {
	var pad [48]byte // a wide frame, so the stack must grow
	pad[n%48] = byte(n)
	if n == 0 {
		return acc
	}
	return deep(n-1, acc*31+uint64(pad[n%48])+1)
}

//go:noinline
func thrower(n, at int) int {
	defer func() {}() // a deferred call on every frame the panic unwinds
	if n == at {
		panic(fmt.Sprintf("depth %d", n))
	}
	if n == 0 {
		return 0
	}
	return thrower(n-1, at) + 1
}

func catch(depth, at int) (got string) {
	defer func() {
		if r := recover(); r != nil {
			got = r.(string)
		}
	}()
	thrower(depth, at)
	return "none"
}

//go:noinline
func spin(n uint64) uint64 {
	x := n
	for i := uint64(0); i < uint64(30000000/scale); i++ { // no calls: preempted by signal
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func round(r int) string {
	var wg sync.WaitGroup
	var stacks, panics, churn, cgo, spins uint64
	var blobs [][]byte
	var mu sync.Mutex

	for g := 0; g < 48; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			atomic.AddUint64(&stacks, deep(20000/scale+g, uint64(r)))
			msg := catch(200+g, 100+g%50)
			atomic.AddUint64(&panics, uint64(len(msg)))
			b := make([]byte, 1024*(g+1))
			b[0] = byte(g)
			mu.Lock()
			blobs = append(blobs, b)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	for i := 0; i < 20000/scale; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			atomic.AddUint64(&churn, uint64(i%7))
		}(i)
	}
	wg.Wait()
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			x := uint64(g + r)
			for i := 0; i < 2000; i++ {
				x = uint64(C.c_mix(C.uint64_t(x)))
			}
			atomic.AddUint64(&cgo, x)
		}(g)
	}
	wg.Wait()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			atomic.AddUint64(&spins, spin(uint64(g+r)))
		}(g)
	}
	wg.Wait()
	runtime.GC() // shrinks the grown stacks
	total := 0
	for _, b := range blobs {
		total += len(b)
	}
	return fmt.Sprintf("round %d stacks %x panics %d churn %d cgo %x spins %x kept %d",
		r, stacks, panics, churn, cgo, spins, total)
}

func main() {
	rounds, pause := 3, 0
	if len(os.Args) > 1 {
		rounds, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		scale, _ = strconv.Atoi(os.Args[2])
	}
	if len(os.Args) > 3 {
		pause, _ = strconv.Atoi(os.Args[3])
	}
	for r := 0; r < rounds; r++ {
		fmt.Println(round(r))
		time.Sleep(time.Duration(pause) * time.Millisecond)
	}
}
