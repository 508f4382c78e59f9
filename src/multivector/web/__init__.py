"""The dashboard and JSON API (`multivector serve`): a thin shell over the store and the report."""
