//go:build race

package main

// raceEnabled: the race detector slows bcrypt about tenfold, so a sign-in
// alone takes over a second and latency bounds mean nothing.
const raceEnabled = true
