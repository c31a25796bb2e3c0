"""A seeded, deterministic DEMO world: catalog, users, interaction events and help documents.

Everything here is invented demo data (marked ``"source": "demo"``) set in a fictional "Lisbon".
It combines two platforms: the Soosh learning-and-mentoring marketplace (courses, mentors,
opportunities, learning paths) and a city platform (events, offers, services). Time windows are
relative to ``now`` so "tonight" and "near me now" queries always find something. Standard
library only: no network, no downloads.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

CENTER = (38.72, -9.14)
COLD_START_USER_ID = "demo-user-carla"
SPARSE_USER_ID = "demo-user-david"

# Neighbourhood centres; every point is jittered a few hundred metres around one of them,
# which keeps the whole world within ~8 km of CENTER.
HOODS: dict[str, tuple[float, float]] = {
    "Alfama": (38.7116, -9.1300),
    "Baixa": (38.7110, -9.1370),
    "Chiado": (38.7105, -9.1420),
    "Bairro Alto": (38.7130, -9.1450),
    "Príncipe Real": (38.7170, -9.1490),
    "Santos": (38.7070, -9.1550),
    "Alcântara": (38.7040, -9.1770),
    "Belém": (38.6975, -9.2060),
    "Campo de Ourique": (38.7180, -9.1660),
    "Avenidas Novas": (38.7370, -9.1470),
    "Arroios": (38.7280, -9.1350),
    "Marvila": (38.7440, -9.1040),
    "Graça": (38.7170, -9.1310),
    "Estrela": (38.7120, -9.1600),
    "Parque das Nações": (38.7630, -9.0950),
    "Cais do Sodré": (38.7060, -9.1450),
    "Intendente": (38.7210, -9.1360),
    "Alvalade": (38.7530, -9.1440),
    "Monsanto": (38.7300, -9.1900),
}

COMPANIES = [
    "Tejo Analytics",
    "Azulejo Labs",
    "Pastel Fintech",
    "Farol Health",
    "Ondas Mobility",
    "Miradouro Studio",
    "Sardinha Games",
    "Cais Ventures",
]

# Per-topic vocabulary. Course tuples: (title, difficulty, skills covered, outcome).
# Opportunity tuples: (type, title, detail) where detail completes the type's text template.
TOPICS: dict[str, dict[str, Any]] = {
    "data-science": {
        "label": "Data Science",
        "provider": "Tejo Data School",
        "skills": [
            "python",
            "pandas",
            "sql",
            "statistics",
            "machine learning",
            "data visualization",
        ],
        "roles": ["Senior Data Scientist", "Machine Learning Engineer", "Analytics Lead"],
        "focus": "portfolio reviews, technical interview practice and choosing what to learn next",
        "path": "From Zero to Junior Data Scientist",
        "courses": [
            (
                "Python for Data Analysis",
                "beginner",
                ("python", "pandas"),
                "clean and explore a real dataset of city bike-share trips",
            ),
            (
                "SQL for Analysts",
                "beginner",
                ("sql", "statistics"),
                "write joins, window functions and cohort queries on a retail database",
            ),
            (
                "Applied Machine Learning with scikit-learn",
                "intermediate",
                ("python", "machine learning", "statistics"),
                "train, validate and tune a churn model and explain where it fails",
            ),
            (
                "Experiment Design and A/B Testing",
                "advanced",
                ("statistics", "data visualization"),
                "size, run and read an A/B test without fooling yourself by peeking",
            ),
        ],
        "opps": [
            (
                "internship",
                "Data Analyst Intern",
                "build weekly reporting in SQL and automate it with Python",
            ),
            (
                "freelance",
                "Sales dashboard for a wine exporter",
                "build a Metabase dashboard on top of three years of export orders",
            ),
            (
                "hackathon",
                "Open Data Lisbon Hackathon",
                "turn public transport and air-quality data into tools residents can use",
            ),
        ],
    },
    "web-development": {
        "label": "Web Development",
        "provider": "Lisbon Code Lab",
        "skills": ["javascript", "typescript", "react", "html and css", "node.js", "accessibility"],
        "roles": ["Staff Frontend Engineer", "Full-Stack Developer", "Engineering Manager"],
        "focus": "code reviews, architecture decisions and growing from junior to mid-level",
        "path": "Full-Stack Web Developer Track",
        "courses": [
            (
                "Modern HTML and CSS from Scratch",
                "beginner",
                ("html and css", "accessibility"),
                "build a responsive portfolio site with flexbox, grid and semantic markup",
            ),
            (
                "JavaScript Fundamentals",
                "beginner",
                ("javascript",),
                "write interactive widgets and really understand closures, promises and the DOM",
            ),
            (
                "React and TypeScript in Practice",
                "intermediate",
                ("react", "typescript"),
                "ship a typed booking app with routing, forms and component tests",
            ),
            (
                "Node.js APIs and Deployment",
                "advanced",
                ("node.js", "typescript"),
                "design a REST API with PostgreSQL, authentication and a CI pipeline",
            ),
        ],
        "opps": [
            (
                "internship",
                "Frontend Developer Intern",
                "build new React screens for a mobility app used by 40,000 riders",
            ),
            (
                "freelance",
                "Guesthouse booking site rebuild",
                "rebuild a small guesthouse booking site in Next.js with online payments",
            ),
            (
                "hackathon",
                "Tejo Web Jam",
                "build accessible web apps for local non-profits in one weekend",
            ),
        ],
    },
    "ux-design": {
        "label": "UX Design",
        "provider": "Atelier UX",
        "skills": [
            "user research",
            "figma",
            "prototyping",
            "usability testing",
            "information architecture",
            "design systems",
        ],
        "roles": ["Lead Product Designer", "UX Researcher", "Design Systems Lead"],
        "focus": "portfolio case studies, career switching and design critique",
        "path": "UX Career Switcher Path",
        "courses": [
            (
                "UX Design Foundations",
                "beginner",
                ("user research", "information architecture"),
                "run five user interviews and turn them into a journey map",
            ),
            (
                "Figma for Product Designers",
                "beginner",
                ("figma", "prototyping"),
                "design and prototype a mobile checkout flow with auto layout and components",
            ),
            (
                "Usability Testing That Changes Decisions",
                "intermediate",
                ("usability testing", "user research"),
                "plan, moderate and synthesise a usability study with real participants",
            ),
            (
                "Building a Design System",
                "advanced",
                ("design systems", "figma"),
                "create tokens, components and documentation a development team will adopt",
            ),
        ],
        "opps": [
            (
                "internship",
                "UX Research Intern",
                "recruit participants, run interviews and share insights with product teams",
            ),
            (
                "freelance",
                "Onboarding redesign for a language app",
                "audit and redesign the onboarding flow of a language-learning app",
            ),
            (
                "hackathon",
                "Design for Good Sprint",
                "redesign a public service journey together with the people who use it",
            ),
        ],
    },
    "product-management": {
        "label": "Product Management",
        "provider": "Soosh Academy",
        "skills": [
            "roadmapping",
            "discovery",
            "prioritisation",
            "stakeholder management",
            "metrics",
            "user stories",
        ],
        "roles": ["Group Product Manager", "Head of Product", "Senior Product Manager"],
        "focus": "prioritisation dilemmas, stakeholder conflicts and moving into senior roles",
        "path": "Product Manager Essentials",
        "courses": [
            (
                "Product Management 101",
                "beginner",
                ("prioritisation", "user stories"),
                "write a one-page product brief and a first prioritised backlog",
            ),
            (
                "Continuous Discovery Habits",
                "intermediate",
                ("discovery",),
                "map opportunities from weekly customer interviews and test assumptions cheaply",
            ),
            (
                "Metrics and North Star Design",
                "intermediate",
                ("metrics", "prioritisation"),
                "define a north star metric, its input metrics and a weekly review ritual",
            ),
            (
                "Leading Product Strategy",
                "advanced",
                ("roadmapping", "stakeholder management"),
                "build a strategy narrative and a roadmap that survives contact with leadership",
            ),
        ],
        "opps": [
            (
                "internship",
                "Associate Product Manager Intern",
                "own a small feature end to end, from discovery interviews to release notes",
            ),
            (
                "freelance",
                "Discovery sprint for a fintech MVP",
                "run a two-week discovery sprint and deliver a validated MVP scope",
            ),
        ],
    },
    "marketing": {
        "label": "Marketing",
        "provider": "Growth Guild",
        "skills": [
            "seo",
            "content strategy",
            "email marketing",
            "paid social",
            "copywriting",
            "analytics",
        ],
        "roles": ["Growth Marketing Lead", "Content Strategist", "Performance Marketer"],
        "focus": "channel strategy, content calendars and measuring what actually works",
        "path": "Creator and Growth Marketing Path",
        "courses": [
            (
                "Digital Marketing Essentials",
                "beginner",
                ("content strategy", "paid social"),
                "plan a 30-day campaign across search, email and social",
            ),
            (
                "SEO That Compounds",
                "intermediate",
                ("seo", "analytics"),
                "research keywords, fix technical issues and plan a content cluster",
            ),
            (
                "Email Marketing and Automation",
                "intermediate",
                ("email marketing", "copywriting"),
                "set up welcome and re-engagement sequences and measure their lift",
            ),
            (
                "Growing an Audience as a Creator",
                "beginner",
                ("content strategy", "copywriting"),
                "define your niche, a posting rhythm and a newsletter that converts followers",
            ),
        ],
        "opps": [
            (
                "internship",
                "Marketing Intern",
                "run social channels and write the monthly newsletter for a fintech brand",
            ),
            (
                "freelance",
                "Content for a surf school",
                "write a month of Instagram posts and two newsletters for a surf school",
            ),
        ],
    },
    "music-production": {
        "label": "Music Production",
        "provider": "Ribeira Sound School",
        "skills": [
            "ableton live",
            "mixing",
            "mastering",
            "sound design",
            "songwriting",
            "music theory",
        ],
        "roles": ["Music Producer", "Mixing Engineer", "Sound Designer"],
        "focus": "feedback on your tracks, finishing songs and releasing music independently",
        "path": "Bedroom to Release: Music Producer Path",
        "courses": [
            (
                "Beat Making in Ableton Live",
                "beginner",
                ("ableton live", "music theory"),
                "produce three full beats with drums, bass and chord progressions",
            ),
            (
                "Songwriting Workshop",
                "beginner",
                ("songwriting", "music theory"),
                "take two songs from a voice memo to a structured demo",
            ),
            (
                "Mixing Fundamentals",
                "intermediate",
                ("mixing",),
                "balance, EQ and compress a 24-track session until it translates on any speaker",
            ),
            (
                "Mastering and Release Strategy",
                "advanced",
                ("mastering", "mixing"),
                "master an EP, prepare stems and plan a release on streaming platforms",
            ),
        ],
        "opps": [
            (
                "freelance",
                "Radio jingle for a local campaign",
                "compose and mix a 60-second jingle for a local radio campaign",
            ),
            (
                "hackathon",
                "Music Tech Hack Lisbon",
                "prototype new instruments, plugins and live-performance tools",
            ),
        ],
    },
    "photography": {
        "label": "Photography",
        "provider": "Luz Photo School",
        "skills": [
            "composition",
            "lighting",
            "lightroom",
            "portrait photography",
            "street photography",
            "photo editing",
        ],
        "roles": ["Documentary Photographer", "Commercial Photographer", "Photo Editor"],
        "focus": "portfolio edits, pricing your first commissions and finding your style",
        "path": "Photography: Hobby to First Commissions",
        "courses": [
            (
                "Photography Basics: Shoot in Manual",
                "beginner",
                ("composition", "lighting"),
                "master aperture, shutter speed and ISO on a guided walk through Alfama",
            ),
            (
                "Lightroom Editing Workflow",
                "beginner",
                ("lightroom", "photo editing"),
                "import, cull, grade and export a full shoot in under an hour",
            ),
            (
                "Street Photography in Lisbon",
                "intermediate",
                ("street photography", "composition"),
                "build a 12-image street series with a consistent point of view",
            ),
            (
                "Portrait Lighting with One Flash",
                "intermediate",
                ("portrait photography", "lighting"),
                "light flattering portraits with a single speedlight and a reflector",
            ),
        ],
        "opps": [
            (
                "internship",
                "Photo Studio Assistant Intern",
                "assist on commercial shoots, manage lighting kits and edit selects",
            ),
            (
                "freelance",
                "Product photos for a ceramics shop",
                "shoot and edit 40 product photos for a ceramics shop's new online store",
            ),
        ],
    },
    "entrepreneurship": {
        "label": "Entrepreneurship",
        "provider": "Startup Campus Lisboa",
        "skills": [
            "business modelling",
            "fundraising",
            "customer development",
            "pitching",
            "finance basics",
            "go-to-market",
        ],
        "roles": ["Founder and CEO", "Startup Advisor", "Angel Investor"],
        "focus": "fundraising preparation, pitch practice and early go-to-market decisions",
        "path": "Founder Launchpad",
        "courses": [
            (
                "Validate Your Startup Idea",
                "beginner",
                ("customer development", "business modelling"),
                "interview 20 potential customers and decide whether to build, pivot or stop",
            ),
            (
                "Startup Finance for Founders",
                "intermediate",
                ("finance basics", "fundraising"),
                "build a simple financial model, a runway plan and a cap table",
            ),
            (
                "Pitching to Investors",
                "intermediate",
                ("pitching", "fundraising"),
                "craft a 10-slide deck and rehearse a three-minute pitch with live feedback",
            ),
            (
                "Go-to-Market for Early-Stage Startups",
                "advanced",
                ("go-to-market", "customer development"),
                "pick a beachhead segment and design your first repeatable sales motion",
            ),
        ],
        "opps": [
            (
                "internship",
                "Venture Studio Intern",
                "research markets and help validate two new venture ideas",
            ),
            (
                "freelance",
                "Investor deck for a climate startup",
                "prepare an investor deck and financial model for a climate startup",
            ),
            (
                "hackathon",
                "Startup Weekend Lisbon",
                "go from idea to a pitched prototype in 54 hours",
            ),
        ],
    },
}

# (name, languages beyond English); topics get two mentors, the busiest four get a third.
MENTORS = [
    ("Inês Carvalho", ["Portuguese"]),
    ("Ravi Menon", ["Hindi"]),
    ("Joana Ribeiro", ["Portuguese", "Spanish"]),
    ("Lucas Ferreira", ["Portuguese"]),
    ("Hannah Weber", ["German"]),
    ("Pedro Almeida", ["Portuguese"]),
    ("Camille Laurent", ["French"]),
    ("Mariana Costa", ["Portuguese"]),
    ("Tomás Sousa", ["Portuguese", "French"]),
    ("Elena Rossi", ["Italian"]),
    ("André Lopes", ["Portuguese"]),
    ("Sara Nunes", ["Portuguese", "Spanish"]),
    ("Kwame Mensah", ["French"]),
    ("Beatriz Pinto", ["Portuguese"]),
    ("Diogo Martins", ["Portuguese"]),
    ("Yara Haddad", ["Arabic", "French"]),
    ("Nuno Teixeira", ["Portuguese"]),
    ("Chloe Bennett", []),
    ("Rita Gomes", ["Portuguese"]),
    ("Matteo Bianchi", ["Italian", "Spanish"]),
]
MENTOR_TOPICS = [t for t in TOPICS for _ in range(2)] + [
    "data-science",
    "web-development",
    "ux-design",
    "entrepreneurship",
]
AVAILABILITY = [
    "Evening slots on weekdays",
    "Weekend mornings and Wednesday evenings",
    "Flexible slots across the week",
    "Lunchtime slots, Monday to Thursday",
]

VENUES = {
    "Sala Maré": "Cais do Sodré",
    "Casa Cheia": "Intendente",
    "Armazém 16": "Marvila",
    "Jardim do Rio": "Belém",
    "Cowork Ribeira": "Cais do Sodré",
    "Fábrica Azul": "Alcântara",
    "Atelier do Largo": "Graça",
    "Biblioteca Nova": "Alvalade",
    "Mercado da Praça": "Arroios",
    "Galeria Luz Norte": "Príncipe Real",
    "Pavilhão Tejo": "Parque das Nações",
    "Monsanto Park Gate": "Monsanto",
    "Belém Riverside": "Belém",
    "Marina Walk": "Parque das Nações",
}

# type -> (categories, base tags, venues, duration hours, chance of free entry, price range).
EVENT_TYPES: dict[str, tuple[list[str], list[str], list[str], float, float, tuple[int, int]]] = {
    "concert": (
        ["music", "nightlife"],
        ["live-music"],
        ["Sala Maré", "Casa Cheia", "Armazém 16", "Jardim do Rio"],
        3,
        0.15,
        (10, 35),
    ),
    "workshop": (
        ["learning", "workshop"],
        [],
        ["Cowork Ribeira", "Fábrica Azul", "Atelier do Largo"],
        3,
        0.1,
        (15, 45),
    ),
    "meetup": (
        ["networking", "community"],
        ["networking"],
        ["Cowork Ribeira", "Biblioteca Nova", "Armazém 16"],
        2,
        0.8,
        (5, 10),
    ),
    "food_market": (
        ["food", "market"],
        ["food"],
        ["Mercado da Praça", "Armazém 16", "Jardim do Rio"],
        6,
        0.9,
        (3, 5),
    ),
    "exhibition": (
        ["art", "culture"],
        ["art"],
        ["Galeria Luz Norte", "Armazém 16", "Pavilhão Tejo"],
        9,
        0.4,
        (5, 12),
    ),
    "running_club": (
        ["fitness", "sport"],
        ["running", "fitness"],
        ["Monsanto Park Gate", "Belém Riverside", "Marina Walk"],
        1.5,
        0.85,
        (3, 8),
    ),
}
# (type, title, extra tags, description, usual start hour)
EVENTS = [
    (
        "concert",
        "Maré Alta: Fado by Candlelight",
        ["fado"],
        "An intimate set of traditional and new fado with Portuguese guitar.",
        21,
    ),
    (
        "concert",
        "The Harbour Lights Album Launch",
        ["indie"],
        "The indie quartet plays its second album in full, with two local support acts.",
        21,
    ),
    (
        "concert",
        "Quarteto Sol: Jazz Standards Night",
        ["jazz"],
        "Swing and bossa nova standards, with an open jam session after the second set.",
        22,
    ),
    (
        "concert",
        "Rio Bravo Collective Live",
        ["afrobeat"],
        "A ten-piece afrobeat band with horns and percussion; expect to dance.",
        22,
    ),
    (
        "concert",
        "Noa Vega Electronic Live Set",
        ["electronic"],
        "A live electronic set built from modular synths and field recordings of the river.",
        23,
    ),
    (
        "concert",
        "Banda do Cais Folk Session",
        ["folk"],
        "Portuguese and Galician folk songs with accordion, fiddle and bagpipes.",
        20,
    ),
    (
        "concert",
        "Chamber Orchestra by the River",
        ["classical"],
        "Vivaldi and Piazzolla played outdoors at sunset; bring a blanket.",
        19,
    ),
    (
        "workshop",
        "Beat Making for Absolute Beginners",
        ["music-production"],
        "Make your first beat in Ableton Live; laptops with headphones provided.",
        18,
    ),
    (
        "workshop",
        "Intro to Film Photography",
        ["photography"],
        "Load, shoot and develop a roll of black-and-white film in a small group.",
        17,
    ),
    (
        "workshop",
        "Azulejo Tile Painting",
        ["art"],
        "Paint your own tile with traditional cobalt pigments; fired and ready in a week.",
        18,
    ),
    (
        "workshop",
        "Sourdough Bread Workshop",
        ["food"],
        "Feed a starter, shape two loaves and take home dough and a jar of starter.",
        10,
    ),
    (
        "workshop",
        "Figma Crash Course",
        ["ux-design"],
        "Design a mobile screen from scratch with components and auto layout.",
        18,
    ),
    (
        "workshop",
        "Plant-Based Cooking Class",
        ["vegan", "food"],
        "Cook a three-course vegan Portuguese menu, from caldo verde to a vegan pastel de nata.",
        19,
    ),
    (
        "workshop",
        "Data Visualisation with Python Evening",
        ["data-science", "tech"],
        "Turn open city data into clear charts with pandas and Altair; bring a laptop.",
        18,
    ),
    (
        "workshop",
        "Pitch Clinic for Founders",
        ["entrepreneurship"],
        "Deliver your three-minute pitch and get direct feedback from two angel investors.",
        18,
    ),
    (
        "meetup",
        "Lisbon Python and Data Meetup",
        ["data-science", "tech"],
        "Two short talks on production machine learning, then pizza and networking.",
        19,
    ),
    (
        "meetup",
        "UX Coffee Morning",
        ["ux-design"],
        "Designers and researchers share work in progress over coffee and pastries.",
        9,
    ),
    (
        "meetup",
        "Founders and Funders Night",
        ["entrepreneurship"],
        "Five startups pitch, investors answer questions, and everyone stays for drinks.",
        19,
    ),
    (
        "meetup",
        "Women in Product Lisbon",
        ["product-management"],
        "A panel on moving from PM to product leadership, followed by small-group mentoring.",
        19,
    ),
    (
        "meetup",
        "JavaScript Lisbon",
        ["web-development", "tech"],
        "Lightning talks on React Server Components, testing and web accessibility.",
        19,
    ),
    (
        "meetup",
        "Creators' Content Swap",
        ["marketing"],
        "Newsletter writers and video creators swap what worked this month.",
        18,
    ),
    (
        "meetup",
        "Producers' Feedback Circle",
        ["music-production", "live-music"],
        "Play eight bars of a track in progress and get honest feedback from peers.",
        20,
    ),
    (
        "meetup",
        "Golden Hour Photo Walk in Graça",
        ["photography", "outdoors"],
        "A slow walk through viewpoints and alleys with tips on light and composition.",
        18,
    ),
    (
        "food_market",
        "Vegan Night Market",
        ["vegan", "nightlife"],
        "Twenty plant-based stalls, natural wine and a DJ until late.",
        18,
    ),
    (
        "food_market",
        "Sunday Farmers' Market",
        ["outdoors"],
        "Organic vegetables, cheese and bread straight from producers in the region.",
        9,
    ),
    (
        "food_market",
        "Street Food Friday",
        ["nightlife"],
        "Food trucks from six countries, craft beer and live music.",
        18,
    ),
    (
        "food_market",
        "Natural Wine and Petiscos Fair",
        ["wine"],
        "Small winemakers pour their wines alongside Portuguese petiscos.",
        16,
    ),
    (
        "food_market",
        "Plant-Based Brunch Pop-up",
        ["vegan", "coffee"],
        "Vegan brunch plates, specialty coffee and a zero-waste refill stand.",
        10,
    ),
    (
        "food_market",
        "Specialty Coffee Festival",
        ["coffee"],
        "Roasters, latte art throwdowns and brewing classes for home baristas.",
        10,
    ),
    (
        "exhibition",
        "Light and Tide: Contemporary Photography",
        ["photography"],
        "Twelve photographers on the river, the port and the people who work there.",
        10,
    ),
    (
        "exhibition",
        "Azulejo Now: Tiles Reimagined",
        [],
        "Contemporary artists reinvent the city's tile tradition in ceramics and video.",
        10,
    ),
    (
        "exhibition",
        "Data as Art: Visualising the City",
        ["data-science"],
        "Large-scale prints and interactive screens made from open city data.",
        10,
    ),
    (
        "exhibition",
        "Sound Installations in the Warehouse",
        ["live-music"],
        "Immersive sound pieces across three rooms of a former riverside warehouse.",
        11,
    ),
    (
        "exhibition",
        "Young Illustrators Showcase",
        ["books"],
        "Original drawings from picture books and graphic novels by emerging illustrators.",
        10,
    ),
    (
        "running_club",
        "Riverside 5K Social Run",
        [],
        "An easy 5 km along the river at conversation pace, coffee afterwards.",
        8,
    ),
    (
        "running_club",
        "Sunrise Trail Run in Monsanto",
        ["outdoors"],
        "Ten kilometres of forest trails with two pace groups; trail shoes recommended.",
        7,
    ),
    (
        "running_club",
        "Tuesday Tempo Club",
        [],
        "Warm-up, 3 x 2 km at tempo pace and a cool-down, coached by a certified trainer.",
        19,
    ),
    (
        "running_club",
        "Run and Brunch: Vegan Edition",
        ["vegan", "food"],
        "A relaxed 7 km loop that finishes at a vegan brunch spot with a group table.",
        9,
    ),
    (
        "running_club",
        "Couch-to-5K Beginner Session",
        [],
        "Walk-run intervals for new runners; nobody gets left behind.",
        18,
    ),
    (
        "running_club",
        "Night Run over the Hills",
        ["nightlife"],
        "A hilly 8 km loop past lit-up viewpoints; head torch optional, reflective vest required.",
        21,
    ),
]

# business type -> (categories, tags, business names, deals). Deal: (title, description, price).
OFFER_TYPES: dict[str, tuple[list[str], list[str], list[str], list[tuple[str, str, int]]]] = {
    "restaurant": (
        ["food", "restaurant"],
        ["portuguese"],
        ["Tasca do Largo", "Peixe na Brasa", "Taberna Sete Portas"],
        [
            (
                "Two-course lunch menu with wine",
                "Soup or starter, dish of the day and a glass of house wine.",
                16,
            ),
            (
                "Grilled fish dinner for two",
                "Catch of the day grilled over charcoal "
                "with potatoes, salad and a bottle of vinho verde.",
                58,
            ),
            (
                "Petiscos tasting board",
                "Eight small plates to share, from pica-pau to octopus salad.",
                28,
            ),
        ],
    ),
    "vegan_restaurant": (
        ["food", "vegan", "restaurant"],
        ["vegan", "plant-based"],
        ["Verde Vivo", "Horta Kitchen", "Raiz Plant Bar"],
        [
            (
                "Vegan tasting menu",
                "Five seasonal plant-based courses with optional natural wine pairing.",
                45,
            ),
            (
                "Plant-based brunch for two",
                "Two brunch plates, fresh juices and oat-milk coffees.",
                32,
            ),
        ],
    ),
    "cafe": (
        ["food", "coffee"],
        ["coffee"],
        ["Café Miradouro", "Grão Specialty Coffee", "Nata Dourada"],
        [
            ("Pastel de nata and espresso", "A warm custard tart with a bica, any time of day.", 3),
            (
                "Flat white and banana bread",
                "Specialty flat white with a slice of home-made banana bread.",
                7,
            ),
            (
                "Work-from-cafe day pass",
                "Unlimited filter coffee, fast Wi-Fi and a reserved desk until 6 pm.",
                15,
            ),
        ],
    ),
    "gym": (
        ["fitness", "sport"],
        ["fitness", "gym"],
        ["Forma Gym Arroios", "Tejo CrossFit Box", "Ritmo Climbing Wall"],
        [
            (
                "First month membership",
                "Full access to equipment and group classes for 30 days, induction included.",
                55,
            ),
            ("10-class pack", "Ten group classes to use within three months.", 90),
        ],
    ),
    "bookshop": (
        ["books", "culture"],
        ["books"],
        ["Livraria Travessa", "Page and Port", "Livraria das Letras"],
        [
            (
                "Book and coffee combo",
                "Any paperback under 15 euros plus a coffee in the reading room.",
                18,
            ),
            (
                "Photography and design books bundle",
                "Pick any two titles from the photography and design shelves.",
                60,
            ),
        ],
    ),
}
OFFER_COUNTS = {"restaurant": 8, "vegan_restaurant": 6, "cafe": 6, "gym": 5, "bookshop": 5}

# (title, provider, categories, tags, description, price, unit)
SERVICES = [
    (
        "Vinyasa yoga drop-in class",
        "Casa Prana Yoga",
        ["wellness", "fitness"],
        ["yoga"],
        "A 75-minute flowing class for all levels; mats and blocks provided.",
        12,
        "per class",
    ),
    (
        "Sunrise yoga on the riverside",
        "Casa Prana Yoga",
        ["wellness", "fitness"],
        ["yoga", "outdoors"],
        "Gentle outdoor practice at 7 am, weather permitting.",
        10,
        "per class",
    ),
    (
        "Bike tune-up and safety check",
        "Oficina da Bicla",
        ["cycling", "repair"],
        ["cycling"],
        "Brakes, gears, chain and tyres checked and adjusted, usually same day.",
        35,
        "per bike",
    ),
    (
        "Puncture repair while you wait",
        "Oficina da Bicla",
        ["cycling", "repair"],
        ["cycling"],
        "Inner tube replaced in about 20 minutes, tube included.",
        12,
        "per wheel",
    ),
    (
        "Maths and physics tutoring",
        "Explica Mais",
        ["education", "tutoring"],
        ["tutoring"],
        "One-to-one sessions for secondary school students preparing for national exams.",
        25,
        "per hour",
    ),
    (
        "Portuguese lessons for expats",
        "Fala Comigo",
        ["education", "languages"],
        ["tutoring", "languages"],
        "Conversation-first lessons from A1 to B2 with a native teacher.",
        22,
        "per hour",
    ),
    (
        "Personal training session",
        "Forma Gym Arroios",
        ["fitness", "sport"],
        ["fitness"],
        "A one-hour session with a certified coach, including a movement assessment.",
        40,
        "per session",
    ),
    (
        "Guitar lessons for adults",
        "Escola do Som",
        ["music", "education"],
        ["live-music"],
        "Learn the songs you love, from chords to fingerpicking, at your own pace.",
        30,
        "per hour",
    ),
    (
        "Portrait photo session",
        "Estúdio Claro",
        ["photography", "creative"],
        ["photography"],
        "A 45-minute studio session with ten edited portraits, ideal for CVs and profiles.",
        85,
        "per session",
    ),
    (
        "Laptop repair and cleanup",
        "TecnoFix",
        ["tech", "repair"],
        ["tech"],
        "Diagnosis, cleaning, battery or screen replacement and a fresh system setup.",
        45,
        "per repair",
    ),
]

# (slug, interests, skills, goals, hours/week, learning style, communication style, home,
#  device, number of events). Interests double as tags, so histories follow them.
PERSONAS = [
    (
        "ana",
        ["data science", "statistics", "running", "coffee"],
        [("python", "intermediate"), ("sql", "beginner"), ("statistics", "intermediate")],
        [
            "land a junior data scientist role within a year",
            "build a portfolio of three end-to-end projects",
        ],
        10,
        "hands-on projects",
        "concise and direct",
        "Arroios",
        "desktop",
        34,
    ),
    (
        "tiago",
        ["music production", "live music", "photography", "marketing"],
        [("ableton live", "intermediate"), ("songwriting", "advanced"), ("mixing", "beginner")],
        ["release a self-produced EP", "grow a local fan base and play more gigs"],
        12,
        "video lessons",
        "casual",
        "Intendente",
        "mobile",
        28,
    ),
    (
        "marta",
        ["vegan", "running", "food", "yoga", "fitness"],
        [("nutrition", "intermediate"), ("trail running", "intermediate")],
        ["run a half marathon in under two hours", "try every vegan spot in the city"],
        4,
        "hands-on projects",
        "friendly and encouraging",
        "Campo de Ourique",
        "mobile",
        40,
    ),
    (
        "sofia",
        ["ux design", "product management", "web development", "art"],
        [("figma", "beginner"), ("user research", "beginner"), ("teaching", "advanced")],
        ["switch from teaching to a UX designer role", "finish a portfolio with two case studies"],
        8,
        "live cohort with peers",
        "detailed with examples",
        "Alvalade",
        "desktop",
        30,
    ),
    (
        "rui",
        ["entrepreneurship", "product management", "marketing", "networking"],
        [
            ("pitching", "intermediate"),
            ("business modelling", "intermediate"),
            ("javascript", "beginner"),
        ],
        ["raise a pre-seed round for a logistics startup", "find a technical co-founder"],
        6,
        "one-to-one mentoring",
        "concise and direct",
        "Marvila",
        "mobile",
        26,
    ),
    (
        "lena",
        ["web development", "data science", "tech", "coffee"],
        [("javascript", "advanced"), ("react", "intermediate"), ("node.js", "beginner")],
        ["become a full-stack developer", "contribute to an open-source project"],
        7,
        "reading and notes",
        "concise and direct",
        "Santos",
        "desktop",
        22,
    ),
    (
        "joao",
        ["photography", "art", "marketing", "outdoors"],
        [
            ("composition", "intermediate"),
            ("lightroom", "intermediate"),
            ("portrait photography", "beginner"),
        ],
        ["earn the first paid photography commissions", "exhibit a street photography series"],
        9,
        "hands-on projects",
        "friendly and encouraging",
        "Graça",
        "mobile",
        24,
    ),
    (
        "priya",
        ["product management", "ux design", "data science", "yoga"],
        [("roadmapping", "advanced"), ("discovery", "intermediate"), ("sql", "beginner")],
        ["move into a senior product role", "get comfortable analysing data without help"],
        5,
        "reading and notes",
        "detailed with examples",
        "Avenidas Novas",
        "desktop",
        20,
    ),
    (
        "miguel",
        ["marketing", "photography", "entrepreneurship", "coffee"],
        [("copywriting", "advanced"), ("content strategy", "intermediate"), ("seo", "beginner")],
        ["grow a newsletter to 5,000 subscribers", "turn content into a sustainable business"],
        10,
        "video lessons",
        "casual",
        "Chiado",
        "mobile",
        18,
    ),
    (
        "carla",
        ["photography", "books", "art", "yoga"],
        [("photo editing", "beginner")],
        ["learn to shoot in manual mode", "meet people with similar hobbies"],
        3,
        "live cohort with peers",
        "friendly and encouraging",
        "Estrela",
        "tablet",
        0,
    ),
    (
        "david",
        ["running", "web development", "food"],
        [("python", "intermediate"), ("html and css", "intermediate")],
        ["settle into the city and find a running group", "freelance as a web developer"],
        5,
        "hands-on projects",
        "concise and direct",
        "Parque das Nações",
        "mobile",
        2,
    ),
    (
        "beatriz",
        ["data science", "web development", "books", "live music"],
        [("python", "beginner"), ("javascript", "beginner"), ("statistics", "intermediate")],
        ["win a hackathon", "find a summer internship in tech"],
        15,
        "live cohort with peers",
        "casual",
        "Alvalade",
        "mobile",
        16,
    ),
]

DOCUMENTS = [
    (
        "demo-doc-booking",
        "How mentoring sessions are booked and cancelled",
        "mentoring",
        (
            "Every mentor on Soosh publishes a weekly calendar. Open a mentor's profile, choose "
            "a session length (30, 60 or 90 minutes) and pick a free slot. Slots are always shown "
            "in your own time zone, which you can change under Settings > Profile. You pay when "
            "you book, and the slot is held for you as soon as the payment is confirmed.\n\n"
            "After booking you receive a confirmation email with a video link and a short form "
            "asking what you want to work on. Mentors read it before the session, so a few "
            "specific questions (a portfolio link, a draft pitch deck, a track you are mixing) "
            "make the hour far more useful. We send reminders 24 hours and 1 hour before the "
            "session by email and, if you enabled them, by push notification.\n\n"
            "You can reschedule once for free up to 12 hours before the start time from My "
            "Sessions > Reschedule. To cancel, open the session and choose Cancel booking. "
            "Cancelling at least 24 hours ahead gives a full refund; between 24 and 2 hours "
            "ahead you get 50% back as a refund or 100% as platform credit; later cancellations "
            "and no-shows are not refunded. If a mentor cancels, you always get a full refund "
            "and priority access to their next free slots.\n\n"
            "New to mentoring? Most mentors offer a free 15-minute intro call, marked with a "
            "green badge on their profile. It is a good way to check the fit before booking a "
            "paid session."
        ),
    ),
    (
        "demo-doc-refunds",
        "Refund policy",
        "billing",
        (
            "We want every purchase on the platform to feel safe. This policy covers mentor "
            "sessions, courses and learning paths, event tickets and offer vouchers.\n\n"
            "Mentor sessions: full refund if you cancel at least 24 hours before the start, 50% "
            "refund (or full platform credit) between 24 and 2 hours before, no refund for later "
            "cancellations or no-shows. If the mentor cancels or does not show up, you get a full "
            "refund automatically.\n\n"
            "Courses and learning paths: you can ask for a full refund within 14 days of "
            "purchase as long as you have completed less than 30% of the content. Live cohorts "
            "can be refunded until the day before the first session. Free courses obviously "
            "need no refund.\n\n"
            "Event tickets: refundable until 48 hours before the event starts, unless the "
            "organiser states a stricter rule on the event page. If an event is cancelled or "
            "moved by more than a day, every ticket is refunded in full.\n\n"
            "Offer vouchers: unused vouchers can be refunded within 14 days of purchase. Once a "
            "voucher has been redeemed at the venue, or after it expires, it cannot be refunded.\n\n"
            "Refunds go back to the original payment method and usually arrive within 5 to 10 "
            "business days. Platform credit is available immediately and never expires. For "
            "anything not covered here, contact support from the Help menu and a person will "
            "answer within one business day."
        ),
    ),
    (
        "demo-doc-recommendations",
        "How recommendations work",
        "recommendations",
        (
            "Your feed mixes courses, mentors, opportunities, events and offers that we think "
            'fit you right now. Each card shows a short reason, such as "because you saved '
            'Python for Data Analysis" or "near you tonight", so you can see why it appears.\n\n'
            "Three kinds of signals shape the feed. First, your profile: the interests, skills, "
            "goals and weekly time you shared during onboarding. Second, your activity: views, "
            "clicks, saves, enrolments and purchases tell us what you like, and a save or a "
            "purchase counts much more than a click. Dismissing a card or marking it as not "
            "interesting lowers similar items. Third, context: for events and offers we look at "
            'distance, start time and whether an offer is still valid, so "near me now" really '
            "means near and now.\n\n"
            "When you are new we have little activity to learn from, so the first "
            "recommendations lean on your onboarding answers and on what is popular with people "
            "who have similar goals. After a handful of interactions the feed becomes more "
            "personal. We also keep some variety on purpose, so you discover things slightly "
            "outside your usual topics.\n\n"
            "You stay in control. You can edit your profile at any time, reset your activity "
            "history, or switch off AI personalisation under Settings > Privacy; the feed then "
            "shows popular and recent items only. You can also download or delete all of your "
            "data from the same page."
        ),
    ),
    (
        "demo-doc-guidelines",
        "Community guidelines",
        "community",
        (
            "Soosh works because learners, mentors, organisers and businesses trust each other. "
            "These guidelines apply to profiles, messages, reviews, event listings and posts.\n\n"
            "Be respectful. Disagree with ideas, not people. Harassment, discrimination, threats "
            "and unwanted romantic or sexual advances are never acceptable, in messages or in "
            "sessions.\n\n"
            "Be honest. Use your real name and describe your experience accurately. Mentors must "
            "not claim roles, employers or credentials they do not have. Reviews must describe a "
            "session or event you actually attended, and businesses may not offer rewards for "
            "positive reviews.\n\n"
            "Keep transactions on the platform. Asking to be paid outside Soosh removes the "
            "protection of our refund policy and can lead to account suspension.\n\n"
            "Protect privacy. Do not share other people's personal data, recordings of sessions "
            "without consent, or private messages.\n\n"
            "Report problems. Every profile, message and listing has a Report option. Reports "
            "are reviewed by a person, usually within 24 hours. Depending on severity we may "
            "remove content, issue a warning, or suspend an account; repeated or serious "
            "violations lead to permanent removal."
        ),
    ),
    (
        "demo-doc-creator-guide",
        "Creator coaching guide: growing an audience",
        "creators",
        (
            "This guide is for mentors and creators who want more people to discover their "
            "sessions, courses and posts. Growth rarely comes from one viral moment; it comes "
            "from a clear promise repeated consistently.\n\n"
            'Start with a narrow promise. "I help career switchers land their first UX role" '
            'works better than "I teach design". Put that sentence at the top of your profile '
            "and in the first line of every course description.\n\n"
            "Pick a rhythm you can keep for three months: for example one practical post a week "
            "and one short newsletter every two weeks. Reuse what you already do: turn a common "
            "question from sessions into a post, and a good post into a free 20-minute workshop. "
            "Posts with a concrete example, such as a before-and-after portfolio page or a "
            "mixing chain, get saved more often, and saves are one of the strongest signals in "
            "our recommendations.\n\n"
            "Invite people one step further each time: a post links to a free intro call, an "
            "intro call can lead to a session, and regular mentees may join a learning path. "
            "Ask happy mentees for a review right after a good session, while the result is "
            "fresh.\n\n"
            "Finally, look at your dashboard once a week. Watch profile views, saves and "
            "booking conversion, not follower counts. If views are high but bookings are low, "
            "rewrite your profile promise; if views are low, post more consistently or join a "
            "community event as a speaker."
        ),
    ),
    (
        "demo-doc-pricing",
        "Pricing of mentor sessions",
        "pricing",
        (
            "Mentors set their own hourly rate, between 25 and 120 euros per hour. Most "
            "mentors with under five years of experience charge 30 to 50 euros, senior "
            "practitioners 60 to 90 euros, and leaders or investors up to 120 euros. The price "
            "you see on a profile is the full price, including VAT and the platform fee; there "
            "are no hidden charges at checkout.\n\n"
            "Sessions of 30 and 90 minutes are priced pro rata from the hourly rate. Many "
            "mentors offer a free 15-minute intro call, and some sell packs of four sessions "
            "with a 10% discount, which you can use within three months.\n\n"
            "Mentors keep 85% of every session price. The 15% platform fee pays for payments, "
            "video calls, scheduling, reminders, support and the refund guarantee. Mentors "
            "receive payouts every two weeks for sessions that took place.\n\n"
            "Students and people between jobs can apply for a 30% access discount on up to "
            "four sessions per quarter, funded by the platform rather than by mentors. Apply "
            "from Settings > Billing; decisions take about two business days.\n\n"
            "Mentors can change their rate at any time. The new rate applies to new bookings "
            "only; sessions you have already booked keep the price you paid."
        ),
    ),
]

DIFFICULTY_HOURS = {"beginner": (6, 12), "intermediate": (10, 20), "advanced": (16, 30)}
DIFFICULTY_PRICE = {"beginner": (29, 79), "intermediate": (59, 149), "advanced": (99, 249)}
AUDIENCE = {
    "beginner": "No prior experience needed.",
    "intermediate": "Best if you already know the basics of {topic}.",
    "advanced": "Aimed at practitioners with at least a year of hands-on experience.",
}
RATINGS = ([3, 4, 5], [0.15, 0.45, 0.40])


@dataclass(frozen=True)
class DemoWorld:
    """A generated DEMO world: plain JSON-serialisable records, ready to import."""

    items: list[dict]
    users: list[dict]
    events: list[dict]
    documents: list[dict]

    def as_dict(self) -> dict[str, list[dict]]:
        return asdict(self)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _and(words: list[str] | tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _point(rng: random.Random, hood: str) -> dict[str, float]:
    lat, lon = HOODS[hood]
    # ~300 m of jitter so venues in one neighbourhood do not share a point.
    return {
        "lat": round(lat + rng.uniform(-0.003, 0.003), 5),
        "lon": round(lon + rng.uniform(-0.0035, 0.0035), 5),
    }


def _price(rng: random.Random, low: int, high: int) -> float:
    # Catalog-style prices that end in 9 (29, 49, 129...).
    value = rng.randint(low, high)
    return float(value - value % 10 + 9) if value >= 20 else float(value)


def _item(
    item_id: str,
    kind: str,
    title: str,
    text: str,
    tags: list[str],
    categories: list[str],
    attributes: dict[str, Any],
    created_at: datetime,
    *,
    location: dict[str, float] | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    price: float | None = None,
    original_price: float | None = None,
) -> dict[str, Any]:
    return {
        "id": item_id,
        "kind": kind,
        "title": title,
        "text": text,
        "tags": sorted(set(tags)),
        "categories": categories,
        "attributes": {**attributes, "source": "demo"},
        "location": location,
        "starts_at": _iso(starts_at),
        "ends_at": _iso(ends_at),
        "price": price,
        "original_price": original_price,
        "active": True,
        "created_at": _iso(created_at),
    }


def _catalog(rng: random.Random, now: datetime) -> list[dict]:
    """Soosh marketplace: courses, mentors, opportunities and learning paths."""
    items: list[dict] = []
    paths: list[dict] = []
    for key, topic in TOPICS.items():
        steps: list[tuple[int, str, float, int, str]] = []
        order = {"beginner": 0, "intermediate": 1, "advanced": 2}
        for title, difficulty, skills, outcome in topic["courses"]:
            hours = rng.randint(*DIFFICULTY_HOURS[difficulty])
            price = 0.0 if rng.random() < 0.15 else _price(rng, *DIFFICULTY_PRICE[difficulty])
            provider = "Soosh Academy" if rng.random() < 0.25 else topic["provider"]
            live = rng.random() < 0.35
            starts = (now + timedelta(days=rng.randint(5, 35))).replace(hour=18) if live else None
            fmt = (
                "live online sessions twice a week and a small peer group"
                if live
                else "self-paced video lessons and weekly exercises"
            )
            article = "an" if difficulty[0] in "aeiou" else "a"
            text = (
                f"{title} is {article} {difficulty} course by {provider}, about {hours} hours "
                f"of work. You will {outcome}. Covers {_and(skills)}, with {fmt}. "
                + AUDIENCE[difficulty].format(topic=topic["label"].lower())
            )
            cid = f"course-{_slug(title)}"
            items.append(
                _item(
                    cid,
                    "course",
                    title,
                    text,
                    [key, *map(_slug, skills)],
                    ["learning", key],
                    {
                        "difficulty": difficulty,
                        "duration_hours": hours,
                        "provider": provider,
                        "format": "live cohort" if live else "self-paced",
                        "topic": key,
                    },
                    now - timedelta(days=rng.randint(90, 365)),
                    starts_at=starts,
                    ends_at=starts + timedelta(weeks=max(2, hours // 4)) if starts else None,
                    price=price,
                )
            )
            steps.append((order[difficulty], cid, price, hours, title))
        paths.append(_learning_path(rng, now, key, topic, sorted(steps)))
        for kind, title, detail in topic["opps"]:
            items.append(_opportunity(rng, now, key, topic, kind, title, detail))
    for (name, langs), key in zip(MENTORS, MENTOR_TOPICS, strict=True):
        items.append(_mentor(rng, now, name, ["English", *langs], key, TOPICS[key]))
    return items + paths


def _learning_path(
    rng: random.Random,
    now: datetime,
    key: str,
    topic: dict[str, Any],
    steps: list[tuple[int, str, float, int, str]],
) -> dict:
    total = sum(s[2] for s in steps)
    hours = sum(s[3] for s in steps)
    text = (
        f"A guided sequence of {len(steps)} courses: {_and([s[4] for s in steps])}. Plan "
        f"for about {hours} hours, roughly {hours // 5 + 1} weeks at five hours a week. The path ends with a "
        f"portfolio project reviewed by a {topic['label'].lower()} mentor."
    )
    return _item(
        f"path-{key}",
        "learning_path",
        topic["path"],
        text,
        [key, *map(_slug, topic["skills"][:3])],
        ["learning", "learning-path", key],
        {"steps": [s[1] for s in steps], "duration_hours": hours, "topic": key},
        now - timedelta(days=rng.randint(60, 200)),
        price=round(total * 0.8, 0),
        original_price=total if total > 0 else None,
    )


def _opportunity(
    rng: random.Random,
    now: datetime,
    key: str,
    topic: dict[str, Any],
    kind: str,
    title: str,
    detail: str,
) -> dict:
    posted = now - timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 23))
    deadline = (now + timedelta(days=rng.randint(4, 45))).replace(hour=23)
    hood = rng.choice(["Cais do Sodré", "Marvila", "Avenidas Novas", "Parque das Nações"])
    company = rng.choice(COMPANIES)
    skill = rng.choice(topic["skills"])
    due = f"{deadline.day} {deadline:%B}"
    location: dict[str, float] | None = _point(rng, hood)
    if kind == "internship":
        months, stipend = rng.choice([3, 6]), rng.choice([800, 900, 1000])
        title = f"{title} at {company}"
        text = (
            f"{company} is hiring for {months} months in {hood}, hybrid. You will "
            f"{detail}, with weekly mentoring from a senior {topic['label'].lower()} "
            f"practitioner. Stipend of {stipend} euros per month; applications close on "
            f"{due}."
        )
        extra = {"company": company, "compensation": f"{stipend} EUR/month", "remote": False}
    elif kind == "freelance":
        budget, hours = rng.choice([600, 900, 1500, 2500]), rng.randint(20, 60)
        title = f"Freelance: {title}"
        text = (
            f"A client is looking for a freelancer to {detail}. Expect around {hours} hours "
            f"of work over {hours // 10 + 1} weeks, fully remote. Budget {budget} euros, "
            f"paid on delivery; strong {skill} skills required. Apply by {due}."
        )
        extra = {"company": company, "compensation": f"{budget} EUR fixed", "remote": True}
        location = None
    else:
        prize = rng.choice([2000, 3000, 5000])
        text = (
            f"{title} is a two-day hackathon in {hood} where teams of up to five {detail}. "
            f"Mentors from local companies, meals included and {prize} euros in prizes. "
            f"Registration closes on {due}."
        )
        extra = {"company": company, "compensation": f"{prize} EUR prize pool", "remote": False}
    return _item(
        f"opp-{key}-{kind}",
        "opportunity",
        title,
        text,
        [key, _slug(skill), kind],
        ["opportunity", key],
        {"opportunity_type": kind, "skills": [skill], "topic": key, **extra},
        posted,
        location=location,
        starts_at=posted,
        ends_at=deadline,
    )


def _mentor(
    rng: random.Random,
    now: datetime,
    name: str,
    languages: list[str],
    key: str,
    topic: dict[str, Any],
) -> dict:
    role, company = rng.choice(topic["roles"]), rng.choice(COMPANIES)
    years = rng.randint(4, 18)
    # Rate grows with experience and stays inside the 25-120 EUR band stated in the pricing doc.
    rate = float(min(120, max(25, 20 + years * 5 + rng.choice([-5, 0, 5, 10]))))
    skills = rng.sample(topic["skills"], 3)
    first = name.split()[0]
    text = (
        f"{first} works as {role} at {company} and has {years} years of experience in "
        f"{topic['label'].lower()}. Sessions cover {_and(skills)}, "
        f"with a focus on {topic['focus']}. {rng.choice(AVAILABILITY)} (Lisbon time). "
        f"Speaks {_and(languages)}."
    )
    return _item(
        f"mentor-{_slug(name)}",
        "mentor",
        f"{name}, {role}",
        text,
        [key, *map(_slug, skills)],
        ["mentoring", key],
        {
            "skills": skills,
            "years_experience": years,
            "hourly_rate": rate,
            "languages": languages,
            "company": company,
            "topic": key,
            "free_intro_call": rng.random() < 0.6,
        },
        now - timedelta(days=rng.randint(30, 400)),
        price=rate,
    )


def _city(rng: random.Random, now: datetime) -> list[dict]:
    """City platform: events with venues and times, discounted offers, local services."""
    venues = {name: _point(rng, hood) for name, hood in VENUES.items()}
    items: list[dict] = []
    evening = [i for i, e in enumerate(EVENTS) if e[0] in ("concert", "meetup", "workshop")]
    tonight = set(rng.sample(evening, 6))
    daytime = [i for i, e in enumerate(EVENTS) if e[0] in ("exhibition", "food_market")]
    ongoing = set(rng.sample(daytime, 3))
    for i, (etype, title, extra, desc, hour) in enumerate(EVENTS):
        cats, base_tags, venue_names, duration, free_p, price_range = EVENT_TYPES[etype]
        venue = rng.choice(venue_names)
        if i in tonight:  # within the next 8 hours, so "tonight" queries always match
            starts = now + timedelta(hours=rng.randint(1, 7))
        elif i in ongoing:  # started a few hours ago and still running
            starts = now - timedelta(hours=rng.randint(1, 4))
        else:
            starts = (now + timedelta(days=rng.randint(1, 14))).replace(hour=hour)
        ends = starts + timedelta(hours=duration)
        price = 0.0 if rng.random() < free_p else float(rng.randint(*price_range))
        when = f"{starts:%A} {starts.day} {starts:%B} at {starts:%H:%M}"
        cost = "Free entry." if price == 0 else f"Tickets {price:.0f} euros."
        text = f"{desc} {when} at {venue}, {VENUES[venue]}. {cost}"
        items.append(
            _item(
                f"event-{_slug(title)}",
                "event",
                title,
                text,
                [*base_tags, *extra],
                cats,
                {
                    "event_type": etype,
                    "venue": venue,
                    "neighbourhood": VENUES[venue],
                    "capacity": rng.choice([30, 60, 120, 250, 500]),
                },
                now - timedelta(days=rng.randint(3, 30)),
                location=venues[venue],
                starts_at=starts,
                ends_at=ends,
                price=price,
            )
        )
    for btype, count in OFFER_COUNTS.items():
        cats, tags, names, deals = OFFER_TYPES[btype]
        homes = {n: rng.choice(list(HOODS)) for n in names}
        pairs = rng.sample([(n, d) for n in names for d in deals], count)
        for name, (deal, desc, base) in pairs:
            original = float(base)
            pct = rng.choice([15, 20, 25, 30, 40])
            price = round(original * (100 - pct) / 100, 2)
            starts = now - timedelta(days=rng.randint(0, 7), hours=rng.randint(1, 20))
            ends = now + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 12))
            text = (
                f"{desc} Valid until {ends.day} {ends:%B} at {name} in {homes[name]}. "
                f"Was {original:.2f} euros, now {price:.2f} euros ({pct}% off)."
            )
            items.append(
                _item(
                    f"offer-{_slug(name)}-{_slug(deal)}",
                    "offer",
                    f"{deal} at {name}",
                    text,
                    tags,
                    cats,
                    {
                        "business": name,
                        "business_type": btype,
                        "neighbourhood": homes[name],
                        "discount_pct": pct,
                    },
                    starts,
                    location=_point(rng, homes[name]),
                    starts_at=starts,
                    ends_at=ends,
                    price=price,
                    original_price=original,
                )
            )
    for title, provider, cats, tags, desc, price, unit in SERVICES:
        hood = rng.choice(list(HOODS))
        items.append(
            _item(
                f"service-{_slug(title)}",
                "service",
                title,
                f"{desc} Offered by {provider} in {hood}, {price} euros {unit}.",
                tags,
                cats,
                {
                    "provider": provider,
                    "unit": unit,
                    "neighbourhood": hood,
                    "rating": round(rng.uniform(4.2, 4.9), 1),
                },
                now - timedelta(days=rng.randint(100, 400)),
                location=_point(rng, hood),
                price=float(price),
            )
        )
    return items


def _funnel(rng: random.Random, item: dict, noise: bool) -> list[tuple[str, Any, float]]:
    """Actions on one item as (type, value, hours after the first view)."""
    steps: list[tuple[str, Any, float]] = [("view", None, 0.0)]
    if noise:  # off-interest items mostly get ignored or pushed away
        roll = rng.random()
        if roll < 0.4:
            steps.append(("dismiss", None, 0.01))
        elif roll < 0.55:
            steps.append(("dislike", None, 0.02))
        elif roll < 0.75:
            steps.append(("click", None, 0.01))
        return steps
    if rng.random() > 0.7:
        return steps
    steps.append(("click", None, rng.uniform(0.005, 0.05)))
    kind, t = item["kind"], steps[-1][2]
    if rng.random() < 0.35:
        steps.append((rng.choice(["save", "like"]), None, t + rng.uniform(0.01, 0.2)))
    if kind in ("course", "learning_path") and rng.random() < 0.5:
        steps.append(("enroll", None, t + rng.uniform(0.1, 1.0)))
        if kind == "course" and rng.random() < 0.5:
            done = t + rng.uniform(72, 500)  # finishing a course takes days
            steps.append(("complete", None, done))
            if rng.random() < 0.8:
                steps.append(("rate", rng.choices(*RATINGS)[0], done + rng.uniform(0.01, 2)))
    elif kind in ("mentor", "service", "offer", "event") and rng.random() < 0.4:
        if item["price"]:
            steps.append(("purchase", item["price"], t + rng.uniform(0.1, 1.0)))
        if kind in ("mentor", "service") and rng.random() < 0.7:
            rating = rng.choices(*RATINGS)[0]
            steps.append(("rate", rating, t + rng.uniform(24, 240)))  # after the session
    return steps


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _users_and_events(
    rng: random.Random, now: datetime, items: list[dict]
) -> tuple[list[dict], list[dict]]:
    users: list[dict] = []
    events: list[dict] = []
    window_start = now - timedelta(days=60)
    latest = now - timedelta(minutes=5)
    # Items must exist before someone interacts with them.
    usable = [it for it in items if _parse(it["created_at"]) < latest - timedelta(hours=2)]
    for slug, interests, skills, goals, hours, lstyle, cstyle, home, device, n_events in PERSONAS:
        users.append(
            {
                "id": f"demo-user-{slug}",
                "profile": {
                    "interests": interests,
                    "skills": [{"name": n, "level": lvl} for n, lvl in skills],
                    "goals": goals,
                    "hours_per_week": hours,
                    "learning_style": lstyle,
                    "communication_style": cstyle,
                },
                "timezone": "Europe/Lisbon",
                "location": _point(rng, home),
                "consent": True,
                "ai_opt_out": False,
                "created_at": _iso(
                    now - timedelta(days=rng.randint(62, 240), hours=rng.randint(0, 23))
                ),
            }
        )
        wanted = {_slug(i) for i in interests}
        weights = [len(wanted & set(it["tags"] + it["categories"])) for it in usable]
        matching = [it for it, w in zip(usable, weights, strict=True) if w]
        match_w = [w for w in weights if w]
        mine: list[tuple[datetime, str, str, Any, dict]] = []
        seen: set[str] = set()
        while len(mine) < n_events:
            noise = rng.random() < 0.15
            item = rng.choice(usable) if noise else rng.choices(matching, match_w)[0]
            if item["id"] in seen and rng.random() < 0.8:
                continue  # revisits happen, but rarely
            seen.add(item["id"])
            start = max(window_start, _parse(item["created_at"]))
            t0 = start + (latest - start) * rng.random()
            source = rng.choices(["feed", "search", "email"], [0.6, 0.25, 0.15])[0]
            ctx = {
                "device": device if rng.random() < 0.8 else rng.choice(["mobile", "desktop"]),
                "source": source,
                "position": rng.randint(1, {"feed": 20, "search": 10, "email": 5}[source]),
            }
            for etype, value, offset in _funnel(rng, item, noise):
                ts = t0 + timedelta(hours=offset)
                if ts > latest:
                    break  # the rest of this story has not happened yet
                mine.append((ts, etype, item["id"], value, ctx))
        for ts, etype, item_id, value, ctx in sorted(mine[:n_events], key=lambda e: e[0]):
            events.append(
                {
                    "id": f"demo-e-{len(events) + 1:06d}",
                    "user_id": users[-1]["id"],
                    "item_id": item_id,
                    "type": etype,
                    "value": value,
                    "timestamp": _iso(ts.replace(microsecond=0)),
                    "context": dict(ctx),
                }
            )
    return users, events


def _documents() -> list[dict]:
    return [
        {"id": doc_id, "title": title, "text": text, "metadata": {"source": "demo", "topic": topic}}
        for doc_id, title, topic, text in DOCUMENTS
    ]


def build_demo_world(seed: int = 7, now: datetime | None = None) -> DemoWorld:
    """Build the DEMO world; the same ``seed`` and ``now`` always give identical records.

    ``now`` defaults to the current UTC time rounded down to the hour, so repeated calls
    within an hour agree and every time window stays relative to the present.
    """
    if now is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # naive input is taken as UTC
    else:
        now = now.astimezone(UTC)
    rng = random.Random(seed)
    items = _catalog(rng, now) + _city(rng, now)
    users, events = _users_and_events(rng, now, items)
    return DemoWorld(items=items, users=users, events=events, documents=_documents())
