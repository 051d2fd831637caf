"""Study: seed 003 (de Souza Farias & Maziero), class features by gradient target propagation."""
