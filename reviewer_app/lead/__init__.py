"""The lead reviewer's work: the register of disagreements, findings, risks, finalising."""
