// Package signature implements Standard Webhooks signing
// (https://www.standardwebhooks.com): HMAC-SHA256 over "id.timestamp.body",
// sent as "v1,<base64>" in the webhook-signature header. Receivers written in
// Go can use Verify.
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every secret.
const Prefix = "whsec_"

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far a timestamp may be from now for Verify.
const Tolerance = 5 * time.Minute

// Secret sizes once decoded.
const (
	SecretSize    = 24
	MinSecretSize = 24
	MaxSecretSize = 64
)

// Errors returned by Verify and ParseSecret. They never contain the secret.
var (
	ErrMissingHeaders   = errors.New("signature: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp     = errors.New("signature: webhook-timestamp is not a Unix time")
	ErrTooOld           = errors.New("signature: timestamp too old")
	ErrTooNew           = errors.New("signature: timestamp too far in the future")
	ErrNoMatch          = errors.New("signature: no matching signature")
	ErrSecretFormat     = errors.New("signature: secret must be whsec_ followed by base64")
	ErrSecretLength     = errors.New("signature: secret must be 24 to 64 bytes once decoded")
	errNoSecretsToCheck = errors.New("signature: no secrets to verify with")
)

// NewSecret returns a fresh secret: whsec_ + base64 of 24 random bytes.
func NewSecret() string {
	b := make([]byte, SecretSize)
	rand.Read(b)
	return Prefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret returns the HMAC key of a secret. The whsec_ prefix is optional
// (Standard Webhooks libraries accept both); the rest must be base64 of 24 to
// 64 bytes.
func ParseSecret(secret string) ([]byte, error) {
	s := strings.TrimPrefix(secret, Prefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrSecretFormat
	}
	if len(key) < MinSecretSize || len(key) > MaxSecretSize {
		return nil, ErrSecretLength
	}
	return key, nil
}

// Signer signs with one secret's key; make one per secret and reuse it.
type Signer struct{ key []byte }

// NewSigner parses secret for signing.
func NewSigner(secret string) (*Signer, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return nil, err
	}
	return &Signer{key: key}, nil
}

// Sign returns "v1,<base64 signature>" of id, timestamp and body.
func (s *Signer) Sign(id string, timestamp time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(s.mac(id, timestamp.Unix(), body))
}

func (s *Signer) mac(id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign signs with a secret given as text.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	s, err := NewSigner(secret)
	if err != nil {
		return "", err
	}
	return s.Sign(id, timestamp, body), nil
}

// SignAll returns the webhook-signature header value: one signature per
// secret, space-separated, in the order given (newest first).
func SignAll(signers []*Signer, id string, timestamp time.Time, body []byte) string {
	parts := make([]string, len(signers))
	for i, s := range signers {
		parts[i] = s.Sign(id, timestamp, body)
	}
	return strings.Join(parts, " ")
}

// Verify checks a request's Standard Webhooks headers against any of secrets,
// with a 5-minute tolerance on the timestamp.
func Verify(secrets []string, headers http.Header, body []byte) error {
	return VerifyAt(secrets, headers, body, time.Now())
}

// VerifyAt is Verify with the current time given.
func VerifyAt(secrets []string, headers http.Header, body []byte, now time.Time) error {
	id := headers.Get(HeaderID)
	tsText := headers.Get(HeaderTimestamp)
	sigs := headers.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	t := time.Unix(ts, 0)
	if now.Sub(t) > Tolerance {
		return ErrTooOld
	}
	if t.Sub(now) > Tolerance {
		return ErrTooNew
	}
	if len(secrets) == 0 {
		return errNoSecretsToCheck
	}
	for _, secret := range secrets {
		s, err := NewSigner(secret)
		if err != nil {
			return err
		}
		want := s.mac(id, ts, body)
		for _, sig := range strings.Fields(sigs) {
			version, value, ok := strings.Cut(sig, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				continue
			}
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrNoMatch
}
