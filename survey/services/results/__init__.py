"""The read side: stored responses -> the engine's arrays -> its table -> what pages, exports and
reports show. The dashboard, the exports and the reports all read results through here."""
