package store

// BatchRetries tells tests how many batches fell back to one-by-one writes.
func BatchRetries(s *Store) int64 { return s.batchRetries.Load() }
