"""Everything about time: booking, clashes, bridges, recurrence, slots, reminders and jobs."""
