package report

import (
	"encoding/json"
	"io"
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
