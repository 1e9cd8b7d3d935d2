package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SchemaVersion is the version of the JSON result format, documented by
// report/schema/report.schema.json. It changes when a field changes
// meaning or disappears; new fields do not change it.
const SchemaVersion = "1"

type jsonWriter struct{ opts Options }

// jsonReport is the document: the report's fields between a schema
// version and a summary.
type jsonReport struct {
	SchemaVersion string `json:"schema_version"`
	Report
	Summary Summary `json:"summary"`
}

func (j jsonWriter) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(JSONDocument(prepare(r, j.opts)))
}

// JSONDocument is the value the json format encodes. It copies what it
// fills in (durations in milliseconds): r is not changed.
func JSONDocument(r *Report) any {
	doc := jsonReport{SchemaVersion: SchemaVersion, Report: *r, Summary: r.Summarize()}
	doc.Checks = make([]Check, len(r.Checks))
	for i, c := range r.Checks {
		if c.Duration != 0 {
			c.DurationMS = float64(c.Duration.Microseconds()) / 1000
		}
		doc.Checks[i] = c
	}
	return doc
}

// ReadJSON reads one document the json format wrote, and nothing else: no
// field the format does not write and nothing after the document. A
// reader that must trust the text (the grader reading the checker inside a
// lab container) can tell forged text added around a real document.
func ReadJSON(text string) (*Report, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var doc jsonReport
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not one report: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one report")
	}
	if doc.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("schema version %q, not %q", doc.SchemaVersion, SchemaVersion)
	}
	return &doc.Report, nil
}
