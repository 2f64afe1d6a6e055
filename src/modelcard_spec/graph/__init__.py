"""The graph layer: RDF export, the assessment graph, the store, the shipped queries and push."""
