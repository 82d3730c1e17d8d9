package signature

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The published Standard Webhooks test vector.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignPublishedVector(t *testing.T) {
	got, err := Sign(vectorSecret, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Errorf("Sign = %s, want %s", got, vectorSig)
	}
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	now := time.Unix(vectorTS, 0)
	h := headers(vectorID, vectorTS, vectorSig)
	if err := VerifyAt([]string{vectorSecret}, h, []byte(vectorBody), now); err != nil {
		t.Fatalf("vector does not verify: %v", err)
	}
	other := NewSecret()
	cases := []struct {
		name    string
		secrets []string
		h       http.Header
		body    string
		now     time.Time
		want    error
	}{
		{"tampered body", []string{vectorSecret}, h, `{"test": 2432232315}`, now, ErrNoMatch},
		{"wrong secret", []string{other}, h, vectorBody, now, ErrNoMatch},
		{"old timestamp", []string{vectorSecret}, h, vectorBody, now.Add(6 * time.Minute), ErrTooOld},
		{"future timestamp", []string{vectorSecret}, h, vectorBody, now.Add(-6 * time.Minute), ErrTooNew},
		{"missing headers", []string{vectorSecret}, http.Header{}, vectorBody, now, ErrMissingHeaders},
		{"bad timestamp", []string{vectorSecret}, headers(vectorID, 0, vectorSig), vectorBody, now, ErrTooOld},
	}
	for _, c := range cases {
		if err := VerifyAt(c.secrets, c.h, []byte(c.body), c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Within tolerance on both sides.
	for _, d := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
		if err := VerifyAt([]string{vectorSecret}, h, []byte(vectorBody), now.Add(d)); err != nil {
			t.Errorf("skew %v: %v", d, err)
		}
	}
}

func TestSeveralSignatures(t *testing.T) {
	oldSecret, newSecret := NewSecret(), NewSecret()
	so, _ := NewSigner(oldSecret)
	sn, _ := NewSigner(newSecret)
	now := time.Now()
	sig := SignAll([]*Signer{sn, so}, "msg_1", now, []byte("{}"))
	if parts := strings.Fields(sig); len(parts) != 2 || !strings.HasPrefix(parts[0], "v1,") {
		t.Fatalf("header = %q", sig)
	}
	h := headers("msg_1", now.Unix(), sig)
	for _, s := range []string{oldSecret, newSecret} {
		if err := Verify([]string{s}, h, []byte("{}")); err != nil {
			t.Errorf("a secret of the pair does not verify: %v", err)
		}
	}
	// Unknown versions and junk are skipped, not fatal.
	h.Set(HeaderSignature, "v2,abc v1,!!! "+sn.Sign("msg_1", now, []byte("{}")))
	if err := Verify([]string{newSecret}, h, []byte("{}")); err != nil {
		t.Errorf("junk before a good signature: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	s := NewSecret()
	if !strings.HasPrefix(s, Prefix) {
		t.Errorf("secret %q lacks whsec_", s)
	}
	key, err := ParseSecret(s)
	if err != nil || len(key) != 24 {
		t.Errorf("key %d bytes, %v", len(key), err)
	}
	if NewSecret() == s {
		t.Error("two secrets alike")
	}
	for _, bad := range []string{"whsec_", "whsec_!!!", "whsec_" + "c2hvcnQ=", "whsec_" + strings.Repeat("QUFB", 30)} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
		if _, err := ParseSecret(bad); err != nil && strings.Contains(err.Error(), strings.TrimPrefix(bad, Prefix)) && len(bad) > 8 {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}
