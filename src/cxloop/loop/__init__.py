"""The loop: alerts, holds, cases, initiatives, cards, stars, integrity (pure functions over tables)."""
