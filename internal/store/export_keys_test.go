package store

// SetKeyTestHooks sets functions RevokeAPIKey calls before its commit and
// AuthenticateAPIKey calls between reading a live key and caching it.
func SetKeyTestHooks(s *Store, beforeRevokeCommit, beforeKeyCached func()) {
	s.testHookRevoked, s.testHookKeyRead = beforeRevokeCommit, beforeKeyCached
}
