package signature

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// A signature made by Sign verifies with the official Standard Webhooks Go
// library, and the official library's signature verifies with Verify.
func TestInteropWithOfficialLibrary(t *testing.T) {
	secret := NewSecret()
	id, ts, body := "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", time.Now(), []byte(`{"type":"invoice.paid","data":{"id":"inv_1","amount":4200}}`)
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)

	official, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := official.Verify(body, h); err != nil {
		t.Errorf("official library rejects our signature: %v", err)
	}
	// Two signatures during a rotation: the official library accepts either key.
	oldSecret := NewSecret()
	so, _ := NewSigner(oldSecret)
	sn, _ := NewSigner(secret)
	h.Set(HeaderSignature, SignAll([]*Signer{sn, so}, id, ts, body))
	for _, s := range []string{secret, oldSecret} {
		wh, _ := standardwebhooks.NewWebhook(s)
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("official library with one of two secrets: %v", err)
		}
	}
	// The other way round.
	theirs, err := official.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h.Set(HeaderSignature, theirs)
	if err := Verify([]string{secret}, h, body); err != nil {
		t.Errorf("Verify rejects the official signature: %v", err)
	}
	// Tampering is caught by both.
	if err := official.Verify([]byte(`{"tampered":true}`), h); err == nil {
		t.Error("official library accepted a tampered body")
	}
}
