"""Small word lists for made-up people, places and products.

Written by hand for the kit (no external faker library): enough variety to look
real in a table, small enough to read. Every e-mail address uses a domain that is
reserved for examples (``example.com`` and friends), so no real inbox is named.
"""

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Carla", "Chen", "Dana", "David",
    "Elena", "Emma", "Farid", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jana",
    "Jonas", "Julia", "Kai", "Kofi", "Lara", "Leo", "Lina", "Lucas", "Maya", "Mei",
    "Mia", "Nadia", "Noah", "Nora", "Omar", "Paula", "Priya", "Rafael", "Rosa", "Sam",
    "Sara", "Sofia", "Tariq", "Theo", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
)

LAST_NAMES = (
    "Adams", "Ahmed", "Alvarez", "Baker", "Becker", "Brown", "Chen", "Costa", "Dubois", "Evans",
    "Fischer", "Garcia", "Gomez", "Gupta", "Hansen", "Ito", "Jensen", "Kim", "Kowalski", "Lee",
    "Lopez", "Martin", "Meyer", "Moreau", "Muller", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen",
    "Patel", "Perez", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Taylor",
    "Torres", "Wagner", "Walker", "Wang", "Weber", "Wilson", "Wong", "Yilmaz", "Young", "Zhang",
)

EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")

STREETS = (
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Birch", "Willow", "Lake", "Hill", "River",
    "Park", "Station", "Church", "Mill", "Bridge", "Garden", "Market", "Harbor", "Forest", "Meadow",
)
STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Way", "Drive")

# (city, ISO country code, international dialling code, share of customers)
CITIES = (
    ("New York", "US", "1", 0.10), ("Chicago", "US", "1", 0.07), ("Austin", "US", "1", 0.06),
    ("Seattle", "US", "1", 0.06), ("Denver", "US", "1", 0.04), ("Boston", "US", "1", 0.05),
    ("Toronto", "CA", "1", 0.05), ("Vancouver", "CA", "1", 0.03), ("London", "GB", "44", 0.08),
    ("Manchester", "GB", "44", 0.03), ("Berlin", "DE", "49", 0.06), ("Munich", "DE", "49", 0.03),
    ("Paris", "FR", "33", 0.05), ("Lyon", "FR", "33", 0.02), ("Madrid", "ES", "34", 0.04),
    ("Barcelona", "ES", "34", 0.03), ("Amsterdam", "NL", "31", 0.03), ("Warsaw", "PL", "48", 0.02),
    ("Sydney", "AU", "61", 0.03), ("Melbourne", "AU", "61", 0.02), ("Tokyo", "JP", "81", 0.03),
    ("Singapore", "SG", "65", 0.02), ("Mumbai", "IN", "91", 0.03), ("Sao Paulo", "BR", "55", 0.02),
)

# category -> (share of the catalogue, typical price in dollars, nouns)
CATEGORIES = {
    "electronics": (0.15, 120, ("Headphones", "Speaker", "Charger", "Keyboard", "Mouse", "Monitor",
                                "Camera")),
    "books": (0.15, 18, ("Novel", "Cookbook", "Guide", "Atlas", "Notebook", "Biography")),
    "clothing": (0.20, 35, ("T-Shirt", "Jacket", "Sweater", "Jeans", "Scarf", "Hoodie", "Socks")),
    "home": (0.15, 45, ("Lamp", "Mug", "Pillow", "Blanket", "Vase", "Clock", "Towel")),
    "sports": (0.10, 55, ("Yoga Mat", "Water Bottle", "Backpack", "Dumbbell", "Tent", "Helmet")),
    "beauty": (0.10, 22, ("Shampoo", "Soap", "Lotion", "Perfume", "Brush")),
    "toys": (0.08, 28, ("Puzzle", "Robot", "Board Game", "Kite", "Teddy Bear")),
    "grocery": (0.07, 9, ("Coffee", "Tea", "Chocolate", "Olive Oil", "Honey", "Pasta")),
}
ADJECTIVES = (
    "Classic", "Compact", "Deluxe", "Eco", "Essential", "Everyday", "Premium", "Pro",
    "Smart", "Soft", "Sturdy", "Travel", "Ultra", "Vintage", "Wireless", "Organic",
)
COLOURS = ("Black", "White", "Blue", "Red", "Green", "Grey", "Sand", "Navy", "Olive", "Plum")
BRANDS = (
    "Acorn", "Brightline", "Cobalt", "Driftwood", "Evergreen", "Foxglove", "Granite", "Horizon",
    "Ironbark", "Juniper", "Kestrel", "Lumen", "Northwind", "Orchard", "Pebble", "Quartz",
)
