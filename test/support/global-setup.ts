// Placeholder replaced by the database template setup (see test/support/db.ts).
export default function setup(): void {}
