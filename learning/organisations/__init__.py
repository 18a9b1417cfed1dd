"""Organisations: employers and their departments, the courses they require, their members and managers, and
My team, where a manager sees their members' compliance."""
