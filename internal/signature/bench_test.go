package signature

import (
	"testing"
	"time"
)

var benchBody = []byte(`{"type":"invoice.paid","data":{"invoiceId":"inv_0001","amount":4200,"currency":"EUR","customer":{"id":"cus_1"}}}`)

// BenchmarkSign signs with a Signer made once per secret, as the sender does.
func BenchmarkSign(b *testing.B) {
	s, _ := NewSigner(NewSecret())
	ts := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s.Sign("01a20389-8f40-75f7-ac15-3807a69c6d9a", ts, benchBody)
	}
}

// BenchmarkSignAllDuringRotation signs with two secrets (a rotation's grace).
func BenchmarkSignAllDuringRotation(b *testing.B) {
	s1, _ := NewSigner(NewSecret())
	s2, _ := NewSigner(NewSecret())
	signers := []*Signer{s1, s2}
	ts := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		SignAll(signers, "01a20389-8f40-75f7-ac15-3807a69c6d9a", ts, benchBody)
	}
}

func BenchmarkVerify(b *testing.B) {
	secret := NewSecret()
	s, _ := NewSigner(secret)
	ts := time.Now()
	h := headers("01a20389-8f40-75f7-ac15-3807a69c6d9a", ts.Unix(), s.Sign("01a20389-8f40-75f7-ac15-3807a69c6d9a", ts, benchBody))
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify([]string{secret}, h, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
