package store_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/signature"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// signedRequest signs body with every valid secret, as the sender does.
func signedRequest(t *testing.T, secrets []string, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	var signers []*signature.Signer
	for _, s := range secrets {
		sg, err := signature.NewSigner(s)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, sg)
	}
	h := http.Header{}
	h.Set(signature.HeaderID, id)
	h.Set(signature.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(signature.HeaderSignature, signature.SignAll(signers, id, ts, body))
	return h
}

func TestSecretRotationGrace(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		mustEventType(t, s, app.ID, "invoice.paid")
		wh, oldSecret, err := s.CreateWebhook(ctx, actor, app.ID, validInput(), policy)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.SecretInfo(ctx, app.ID, wh.ID)
		if err != nil || info.Last4 != oldSecret[len(oldSecret)-4:] || info.PreviousExpires != nil {
			t.Fatalf("info = %+v, %v", info, err)
		}
		clock.Advance(time.Minute)
		newSecret, err := s.RotateSecret(ctx, actor, app.ID, wh.ID, false, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if newSecret == oldSecret || !strings.HasPrefix(newSecret, "whsec_") {
			t.Fatalf("new secret %q", newSecret)
		}
		info, _ = s.SecretInfo(ctx, app.ID, wh.ID)
		if info.PreviousExpires == nil || !info.PreviousExpires.Equal(clock.Now().Add(24*time.Hour)) {
			t.Errorf("previous expires %v, want %v", info.PreviousExpires, clock.Now().Add(24*time.Hour))
		}
		if info.Last4 != newSecret[len(newSecret)-4:] {
			t.Errorf("current last4 %q", info.Last4)
		}

		body := []byte(`{"id":"inv_1"}`)
		verifyWith := func(secret string) error {
			secrets, err := s.ValidSecrets(ctx, wh.ID)
			if err != nil {
				t.Fatal(err)
			}
			h := signedRequest(t, secrets, "msg_1", clock.Now(), body)
			return signature.VerifyAt([]string{secret}, h, body, clock.Now())
		}
		// During the grace period both secrets verify, newest signature first.
		secrets, _ := s.ValidSecrets(ctx, wh.ID)
		if len(secrets) != 2 || secrets[0] != newSecret || secrets[1] != oldSecret {
			t.Fatalf("valid secrets = %d, newest first? %v", len(secrets), len(secrets) > 0 && secrets[0] == newSecret)
		}
		if err := verifyWith(oldSecret); err != nil {
			t.Errorf("old secret in grace: %v", err)
		}
		if err := verifyWith(newSecret); err != nil {
			t.Errorf("new secret: %v", err)
		}
		// After it, only the new one.
		clock.Advance(24*time.Hour + time.Second)
		if err := verifyWith(oldSecret); err == nil {
			t.Error("old secret still verifies after the grace period")
		}
		if err := verifyWith(newSecret); err != nil {
			t.Errorf("new secret after grace: %v", err)
		}
		if n, err := s.DeleteExpiredSecrets(ctx); err != nil || n != 1 {
			t.Errorf("cleanup removed %d, %v", n, err)
		}
		if info, _ := s.SecretInfo(ctx, app.ID, wh.ID); info.PreviousExpires != nil {
			t.Error("expired secret still reported")
		}

		// Expire at once: only the newest secret signs.
		s.RotateSecret(ctx, actor, app.ID, wh.ID, false, "", "")
		third, err := s.RotateSecret(ctx, actor, app.ID, wh.ID, true, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if secrets, _ := s.ValidSecrets(ctx, wh.ID); len(secrets) != 1 || secrets[0] != third {
			t.Errorf("after expire-now: %d secrets", len(secrets))
		}

		// Audit: rotations recorded without the secret.
		entries, _ := s.ListAudit(ctx, app.ID, "", 20)
		var rotations int
		for _, e := range entries {
			if e.Action == "secret.rotate" {
				rotations++
			}
			for _, sec := range []string{oldSecret, newSecret, third} {
				if strings.Contains(e.Detail, sec) {
					t.Errorf("audit entry %s contains a secret", e.Action)
				}
			}
		}
		if rotations != 3 {
			t.Errorf("%d rotations audited", rotations)
		}
	})
}

func TestRevealAndCustomSecret(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		other := mustApp(t, s, "Other")
		mustEventType(t, s, app.ID, "invoice.paid")
		wh, secret, err := s.CreateWebhook(ctx, actor, app.ID, validInput(), policy)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.RevealSecret(ctx, actor, app.ID, wh.ID, "secret.reveal")
		if err != nil || got != secret {
			t.Fatalf("reveal = %q, %v", got, err)
		}
		if _, err := s.RevealSecret(ctx, actor, other.ID, wh.ID, "secret.reveal"); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("reveal from another app: %v", err)
		}
		entries, _ := s.ListAudit(ctx, app.ID, "", 1)
		if len(entries) != 1 || entries[0].Action != "secret.reveal" {
			t.Errorf("reveal not audited: %+v", entries)
		}

		// The ciphertext in the database does not contain the secret.
		var rows [][]byte
		if err := s.DB().Select(&rows, s.DB().Rebind(`SELECT secret FROM signing_secrets WHERE webhook_id = ?`), wh.ID); err != nil {
			t.Fatal(err)
		}
		for _, ct := range rows {
			if bytes.Contains(ct, []byte(secret)) || bytes.Contains(ct, []byte(strings.TrimPrefix(secret, "whsec_"))) {
				t.Error("secret readable in the database")
			}
		}

		// A custom secret on update: 24–64 bytes, whsec_ optional.
		in := validInput()
		for _, bad := range []string{"tooshort", "whsec_c2hvcnQ=", "whsec_" + strings.Repeat("QUFB", 30), "not base64 at all!!"} {
			in.Secret = bad
			_, err := s.UpdateWebhook(ctx, actor, app.ID, wh.ID, in, policy)
			fe, ok := err.(hook.FieldErrors)
			if !ok || fe.For("secret") == "" {
				t.Errorf("custom secret %q: %v", bad, err)
			} else if strings.Contains(fe.For("secret"), bad) {
				t.Errorf("error repeats the value: %s", fe.For("secret"))
			}
		}
		custom := "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // base64 of 24 bytes, no prefix
		in.Secret = custom
		if _, err := s.UpdateWebhook(ctx, actor, app.ID, wh.ID, in, policy); err != nil {
			t.Fatal(err)
		}
		secrets, _ := s.ValidSecrets(ctx, wh.ID)
		if len(secrets) != 2 || secrets[0] != "whsec_"+custom || secrets[1] != secret {
			t.Errorf("after custom secret: %v", len(secrets))
		}
	})
}
