// Package layering holds the test that keeps balancebot's packages in
// their layers: the rules depend on nothing, the engine and the service on
// the rules, each adapter on the core alone, and only cmd/ wires adapters
// together. See docs/architecture.md.
package layering
