package labs

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("lab.schema.json")
	require.NoError(t, err)
	return sch
}

// asJSON turns a YAML document into the values a JSON Schema validates.
func asJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v))
	j, err := json.Marshal(v)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
	require.NoError(t, err)
	return doc
}

func TestBundledLabsMatchTheSchema(t *testing.T) {
	sch := compileSchema(t)
	n := 0
	require.NoError(t, fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || path.Base(p) != "lab.yaml" {
			return err
		}
		data, err := files.ReadFile(p)
		require.NoError(t, err)
		assert.NoError(t, sch.Validate(asJSON(t, data)), p)
		n++
		return nil
	}))
	assert.GreaterOrEqual(t, n, 2)
	// not a rubber stamp
	for _, bad := range []string{
		"id: x\ntitle: t\ntier: host\nchecks: [{id: cwd}]\nbogus: 1\n",
		"id: x\ntitle: t\ntier: cloud\nchecks: [{id: cwd}]\n",
		"id: x\ntitle: t\ntier: host\nchecks: [{id: cwd, points: -1}]\n",
		"id: x\ntitle: t\ntier: host\ndeadlines: {build: soon}\nchecks: [{id: cwd}]\n",
		"title: t\ntier: host\nchecks: [{id: cwd}]\n",
		"id: x\ntitle: t\ntier: container\nprogram_source: /abs/t.c\nchecks: [{id: cwd}]\n",
	} {
		assert.Error(t, sch.Validate(asJSON(t, []byte(bad))), bad)
	}
}

// TestSchemaDocumentsEveryField fails when a field of Spec (or of the
// structures inside it) is missing from lab.schema.json, or the schema
// names a field the loader does not know: add it to both.
func TestSchemaDocumentsEveryField(t *testing.T) {
	data, err := os.ReadFile("lab.schema.json")
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(data, &schema))
	defs := schema["$defs"].(map[string]any)
	var props func(obj any) map[string]any
	props = func(obj any) map[string]any {
		m := obj.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if items, ok := m["items"]; ok {
			return props(items)
		}
		p, _ := m["properties"].(map[string]any)
		return p
	}
	var walk func(typ reflect.Type, obj any, where string)
	walk = func(typ reflect.Type, obj any, where string) {
		got := props(obj)
		require.NotNil(t, got, "%s: the schema has no properties", where)
		want := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "-" || !f.IsExported() {
				continue
			}
			want[tag] = true
			sub, ok := got[tag]
			if !assert.True(t, ok, "lab.schema.json lacks %s%s (field %s.%s)", where, tag, typ.Name(), f.Name) {
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.NumField() > 0 && ft.Field(0).IsExported() && ft.Field(0).Tag.Get("yaml") != "" {
				walk(ft, sub, where+tag+".")
			}
		}
		for name := range got {
			assert.True(t, want[name], "lab.schema.json documents %s%s, which %s does not have", where, name, typ.Name())
		}
	}
	walk(reflect.TypeFor[Spec](), schema, "")
}
