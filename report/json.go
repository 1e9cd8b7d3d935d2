package report

import (
	"encoding/json"
	"io"
)

func init() { register("json", func(Options) Writer { return jsonWriter{} }) }

type jsonWriter struct{}

func (jsonWriter) Write(w io.Writer, r *Report) error {
	for i := range r.Checks {
		r.Checks[i].DurationMS = float64(r.Checks[i].Duration.Microseconds()) / 1000
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
