"""An alert group's life after dispatch: actions (acknowledge, resolve, silence, ...), its timeline, the
events it publishes, signed action links, resolution notes and direct paging."""
