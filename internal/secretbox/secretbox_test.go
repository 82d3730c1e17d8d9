package secretbox

import (
	"bytes"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, _ := New(key)
	ct := box.Seal([]byte("whsec_secret"), "webhook:1")
	if bytes.Contains(ct, []byte("secret")) {
		t.Error("plaintext visible in ciphertext")
	}
	pt, err := box.Open(ct, "webhook:1")
	if err != nil || string(pt) != "whsec_secret" {
		t.Fatalf("open = %q, %v", pt, err)
	}
	if _, err := box.Open(ct, "webhook:2"); err != ErrOpen {
		t.Errorf("other context: %v", err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := box.Open(ct, "webhook:1"); err != ErrOpen {
		t.Errorf("tampered: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{1}, 32))
	if _, err := other.Open(box.Seal([]byte("x"), "c"), "c"); err != ErrOpen {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Error("short key accepted")
	}
}
