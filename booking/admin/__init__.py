"""The city administrators' area: everything a shell on the server was needed for."""
