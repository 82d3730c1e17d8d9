package web

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"
)

// The ingest answer as a struct writes the bytes the map wrote.
func TestIngestAnswerIsWhatTheMapWrote(t *testing.T) {
	at := time.Date(2026, 11, 28, 15, 22, 39, 429741000, time.UTC)
	asStruct, asMap := httptest.NewRecorder(), httptest.NewRecorder()
	writeData(asStruct, 202, ingested{ID: "01a222c0-53c5-7000-abdd-82fc0ef32695", EventType: "invoice.paid", CreatedAt: isoTime(at), Deliveries: 3})
	writeData(asMap, 202, map[string]any{"id": "01a222c0-53c5-7000-abdd-82fc0ef32695", "eventType": "invoice.paid", "createdAt": isoTime(at), "deliveries": 3})
	if !bytes.Equal(asStruct.Body.Bytes(), asMap.Body.Bytes()) {
		t.Errorf("struct %s\nmap    %s", asStruct.Body, asMap.Body)
	}
}

// BenchmarkIngestAnswer is the API's busiest answer, written as a struct
// (what apiIngest does) and as the map it was before.
func BenchmarkIngestAnswer(b *testing.B) {
	at := time.Now()
	b.Run("struct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeData(httptest.NewRecorder(), 202, ingested{ID: "01a222c0-53c5-7000-abdd-82fc0ef32695", EventType: "invoice.paid", CreatedAt: isoTime(at), Deliveries: 1})
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeData(httptest.NewRecorder(), 202, map[string]any{"id": "01a222c0-53c5-7000-abdd-82fc0ef32695", "eventType": "invoice.paid", "createdAt": isoTime(at), "deliveries": 1})
		}
	})
}
