"""Planning: weekly rules expanded into sessions, closure days and their import, single
sessions moved or cancelled, and the mails that tell people."""
