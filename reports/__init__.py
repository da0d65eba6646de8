"""The figures: online-meeting ratio, readiness and attendance, snapshots, CSV and XLSX."""
