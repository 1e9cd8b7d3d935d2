package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// A small XSD validator for the subset of XML Schema that
// testdata/junit.xsd uses: global elements, named and anonymous complex
// types (mixed or not), sequence and choice of element references,
// attributes with use="required", xs:string and simple types restricted by
// a pattern. It checks that the root is a global element, that every
// element is allowed where it appears, that attributes are declared,
// required ones present and typed values match their pattern, and that
// text appears only in mixed or simple content. It does not check order
// or occurrence counts. (No pure-Go XSD validator exists; the build is
// CGO_ENABLED=0. The tests also run xmllint when it is installed.)

type xsdNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xsdNode  `xml:",any"`
}

func (n xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

type xsdType struct {
	simple   bool // text only
	mixed    bool
	attrs    map[string]xsdAttr
	children map[string]bool
}

type xsdAttr struct {
	required bool
	pattern  *regexp.Regexp
}

type xsdSchema struct {
	elements map[string]*xsdType
}

func parseXSD(r io.Reader) (*xsdSchema, error) {
	var root xsdNode
	if err := xml.NewDecoder(r).Decode(&root); err != nil {
		return nil, err
	}
	patterns := map[string]*regexp.Regexp{}
	named := map[string]xsdNode{}
	for _, n := range root.Children {
		switch n.XMLName.Local {
		case "simpleType":
			for _, res := range n.Children {
				for _, f := range res.Children {
					if f.XMLName.Local == "pattern" {
						patterns[n.attr("name")] = regexp.MustCompile("^(?:" + f.attr("value") + ")$")
					}
				}
			}
		case "complexType":
			named[n.attr("name")] = n
		}
	}
	s := &xsdSchema{elements: map[string]*xsdType{}}
	complexType := func(n xsdNode) (*xsdType, error) {
		t := &xsdType{mixed: n.attr("mixed") == "true", attrs: map[string]xsdAttr{}, children: map[string]bool{}}
		var walk func(n xsdNode) error
		walk = func(n xsdNode) error {
			for _, c := range n.Children {
				switch c.XMLName.Local {
				case "attribute":
					a := xsdAttr{required: c.attr("use") == "required"}
					typ := c.attr("type")
					if !strings.HasPrefix(typ, "xs:") {
						if a.pattern = patterns[typ]; a.pattern == nil {
							return fmt.Errorf("attribute %s: unknown type %q", c.attr("name"), typ)
						}
					}
					t.attrs[c.attr("name")] = a
				case "sequence", "choice":
					if err := walk(c); err != nil {
						return err
					}
				case "element":
					name := c.attr("ref")
					if name == "" {
						name = c.attr("name")
					}
					t.children[name] = true
				case "annotation":
				default:
					return fmt.Errorf("unsupported XSD construct %s", c.XMLName.Local)
				}
			}
			return nil
		}
		return t, walk(n)
	}
	for _, n := range root.Children {
		if n.XMLName.Local != "element" {
			continue
		}
		name, typ := n.attr("name"), n.attr("type")
		var t *xsdType
		var err error
		switch {
		case typ == "xs:string":
			t = &xsdType{simple: true, attrs: map[string]xsdAttr{}}
		case typ != "":
			nt, ok := named[typ]
			if !ok {
				return nil, fmt.Errorf("element %s: unknown type %q", name, typ)
			}
			t, err = complexType(nt)
		default:
			for _, c := range n.Children {
				if c.XMLName.Local == "complexType" {
					t, err = complexType(c)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, fmt.Errorf("element %s: no type", name)
		}
		s.elements[name] = t
	}
	return s, nil
}

// validate returns every violation found in doc.
func (s *xsdSchema) validate(doc []byte) []string {
	var errs []string
	dec := xml.NewDecoder(strings.NewReader(string(doc)))
	type frame struct {
		name string
		t    *xsdType
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(errs, "not well-formed: "+err.Error())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			t, ok := s.elements[name]
			if !ok {
				errs = append(errs, "undeclared element <"+name+">")
				t = &xsdType{mixed: true, attrs: map[string]xsdAttr{}, children: map[string]bool{}}
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if parent.t.simple || !parent.t.children[name] {
					errs = append(errs, fmt.Sprintf("<%s> not allowed in <%s>", name, parent.name))
				}
			}
			seen := map[string]bool{}
			for _, a := range tok.Attr {
				decl, ok := t.attrs[a.Name.Local]
				switch {
				case !ok:
					errs = append(errs, fmt.Sprintf("<%s>: undeclared attribute %s", name, a.Name.Local))
				case decl.pattern != nil && !decl.pattern.MatchString(a.Value):
					errs = append(errs, fmt.Sprintf("<%s %s=%q>: does not match %s", name, a.Name.Local, a.Value, decl.pattern))
				}
				seen[a.Name.Local] = true
			}
			for an, decl := range t.attrs {
				if decl.required && !seen[an] {
					errs = append(errs, fmt.Sprintf("<%s>: missing required attribute %s", name, an))
				}
			}
			stack = append(stack, frame{name, t})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && strings.TrimSpace(string(tok)) != "" {
				if t := stack[len(stack)-1].t; !t.simple && !t.mixed {
					errs = append(errs, fmt.Sprintf("text in element-only <%s>", stack[len(stack)-1].name))
				}
			}
		}
	}
	return errs
}
