"""PyTorch front end: model file -> ExportedProgram -> ir.Graph."""
