"""A bound on time is one quantity, whichever vertical the plan sends its clause to."""

from __future__ import annotations

from tools.filters import Filters, filters_for


def test_a_running_time_bound_becomes_a_recipe_time_in_recipes() -> None:
    read = Filters(duration_max_s=3600, year_min=1990)
    assert filters_for("ideas", read) == Filters(total_time_max_min=60)
    assert filters_for("video", read) == read


def test_a_recipe_time_bound_becomes_a_running_time_in_films() -> None:
    read = Filters(total_time_max_min=90, diet=["vegetarian"])
    assert filters_for("video", read) == Filters(duration_max_s=5400)
    assert filters_for("shopping", read) == Filters()


def test_a_stated_field_of_the_vertical_wins() -> None:
    both = Filters(duration_max_s=3600, total_time_max_min=20)
    assert filters_for("ideas", both).total_time_max_min == 20
