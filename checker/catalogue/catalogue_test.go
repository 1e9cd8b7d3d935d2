package catalogue

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every check links to a section of course.md that exists.
func TestEveryCheckLinksToACourseSection(t *testing.T) {
	course, err := os.ReadFile("../../course.md")
	require.NoError(t, err)
	for _, e := range All() {
		assert.Contains(t, string(course), `<a id="`+e.Section+`"></a>`, "%s links to %s", e.ID, e.Course())
		assert.NotEmpty(t, e.Why, e.ID)
		assert.NotEmpty(t, e.Fix, e.ID)
		assert.NotEmpty(t, e.Observed, e.ID)
	}
}

func TestLookup(t *testing.T) {
	e, ok := Lookup(" LOCK ")
	require.True(t, ok)
	assert.Equal(t, "lock", e.ID)
	_, ok = Lookup("nope")
	assert.False(t, ok)
	ids := IDs()
	assert.True(t, strings.Compare(ids[0], ids[len(ids)-1]) < 0, "sorted")
	assert.Len(t, ids, len(All()))
}
