enum _PlaceholderDocketHTTP {}
