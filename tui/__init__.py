"""The Textual front end and the `ponder` command. Importing this package loads no Textual."""
