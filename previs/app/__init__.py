"""The application layer: the studio's desks, the frame pipeline and the recorder — the only code that
combines the domain packages (docs/architecture.md)."""
