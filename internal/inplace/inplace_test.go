package inplace

import (
	"context"
	"errors"
	"testing"

	"github.com/daemonlab/daemonlab/internal/launchplan"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSupported(t *testing.T) {
	for _, id := range []string{"01", "02", "03"} {
		lab, err := labs.Load(id)
		require.NoError(t, err)
		assert.NoError(t, Supported(lab), id)
	}
	for _, id := range []string{"04", "05", "06", "07", "08", "09"} {
		lab, err := labs.Load(id)
		require.NoError(t, err)
		assert.ErrorIs(t, Supported(lab), ErrNeedsSystemd, id)
		_, _, err = Grade(context.Background(), Options{Lab: lab, Submission: t.TempDir()})
		assert.True(t, errors.Is(err, ErrNeedsSystemd), id)
	}
}

// The provisional result is complete and not gradable: every check, none
// earning points, no score.
func TestProvisional(t *testing.T) {
	lab, err := labs.Load("01")
	require.NoError(t, err)
	var r report.Report
	Provisional(lab, &r)
	require.Len(t, r.Checks, len(lab.Checks))
	for _, c := range r.Checks {
		assert.Equal(t, report.Error, c.Status)
		assert.Equal(t, 0.0, *c.Points)
	}
	assert.Nil(t, r.Score)
	assert.False(t, *r.Gradable)
}

// An empty submission is graded (ungradable, complete) without building
// or installing anything.
func TestEmptySubmission(t *testing.T) {
	lab, err := labs.Load("01")
	require.NoError(t, err)
	r, outcome, err := Grade(context.Background(), Options{Lab: lab, Submission: t.TempDir(), InstallDir: t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, launchplan.Ungradable, outcome)
	require.Len(t, r.Checks, len(lab.Checks))
	assert.Equal(t, 0.0, *r.Score)
	assert.Equal(t, report.OutcomeUngradable, r.Outcome)
	assert.Contains(t, r.Checks[0].Observed, "empty")
}
