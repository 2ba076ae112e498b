"""The catalogue: products, prices (variants), list prices and versioned plans; pure pricing maths."""
