"""Portfolio imports: readers of external portfolio files (``gmpp``: pure parsing, no database access) and the
import that writes them (``services``)."""
