"""The `oncall` command-line tool and the local stack. Not part of the Lambda layer: Lambdas never import it."""
