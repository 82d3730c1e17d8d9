//go:build !unix

package store

// lockFile does nothing where flock is missing: there, nothing stops a
// second process on the same SQLite file, and taking over every lease at
// start assumes there is none.
func lockFile(path string) (unlock func(), err error) { return func() {}, nil }
