import { describe, expect, it } from "vitest";
import { startOfDay } from "./site-day.js";

describe("startOfDay", () => {
  it.each([
    ["Europe/Moscow", "2026-12-01T10:00:00Z", "2026-11-30T21:00:00Z"],
    ["Europe/Moscow", "2026-11-30T21:00:00Z", "2026-11-30T21:00:00Z"],
    ["Europe/Moscow", "2026-11-30T20:59:59Z", "2026-11-29T21:00:00Z"],
    ["UTC", "2026-12-01T23:59:59Z", "2026-12-01T00:00:00Z"],
    ["America/New_York", "2026-03-08T12:00:00Z", "2026-03-08T05:00:00Z"], // the day DST begins
    ["America/New_York", "2026-11-01T12:00:00Z", "2026-11-01T04:00:00Z"], // the day DST ends
    ["Asia/Kolkata", "2026-12-01T00:00:00Z", "2026-11-30T18:30:00Z"],
  ])("in %s, the day of %s began at %s", (zone, at, start) => {
    expect(new Date(startOfDay(Date.parse(at), zone)).toISOString()).toBe(new Date(start).toISOString());
  });
});
