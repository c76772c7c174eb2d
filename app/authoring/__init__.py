"""The trainer's authoring studio: drafts, editors, publishing, export and GIFT import."""
