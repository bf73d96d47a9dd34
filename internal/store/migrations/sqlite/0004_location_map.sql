-- The location map of each channel: a name found in an export, compared
-- normalised (name_key), means a location. Set and removed with
-- /balance location; location names only, no patient data.
CREATE TABLE location_map (
    channel  TEXT    NOT NULL,
    name_key TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    location TEXT    NOT NULL,
    set_by   TEXT    NOT NULL,
    set_at   INTEGER NOT NULL,
    PRIMARY KEY (channel, name_key)
);
