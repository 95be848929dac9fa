"""Forms departments fill in: what each holds (from the catalogue) and how its files are laid out."""
