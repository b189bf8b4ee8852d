"""The words behind diet labels: animal foods, and the plant foods named after them.

Kept apart from the rules in `tools.diet` so the vocabulary can be read (and
extended) in one place. Every pattern works on lower-cased text with straight
apostrophes.
"""

from __future__ import annotations

import re

MEAT_WORDS = (
    "beef veal pork ham hamburger bacon pancetta prosciutto salami pepperoni chorizo sausage"
    " frankfurter wiener bratwurst kielbasa andouille mortadella pastrami guanciale lardon"
    " chicken turkey duck goose geese quail pheasant partridge pigeon squab poultry lamb"
    " mutton goat venison rabbit hare boar bison elk moose meat meatball meatloaf crabmeat"
    " forcemeat steak brisket sirloin tenderloin liver kidney tripe oxtail giblet gizzard"
    " sweetbread marrowbone lard suet tallow schmaltz drippings gelatin gelatine jello"
    " jell-o marshmallow anchovy anchovies sardine salmon tuna cod haddock halibut herring"
    " mackerel trout tilapia snapper bass pollock carp eel shrimp prawn crab lobster crayfish"
    " langoustine clam mussel oyster scallop squid calamari octopus caviar roe bonito"
    " katsuobushi dashi worcestershire surimi escargot snail frog jerky foie seafood pig piglet"
    " deer loin chuck mignon placenta trassi terasi belacan bagoong espagnole demi-glace"
    " iguana turtle alligator crocodile kangaroo ostrich emu camel horsemeat eulachon eulachons"
    " sprat sprats whitebait pilchard perch pike turbot mahi grouper barramundi"
).split()
MEAT_WORDS += ["bone marrow", "hot dog", "prime rib", "rib roast", "round roast", "pot roast"]
MEAT_WORDS += ["rump roast", "guinea fowl", "ground round", "shrimp paste", "nam pla"]
AMBIGUOUS_WORDS = ["stock", "broth", "bouillon", "consommé", "consomme", "seasoning cube", "maggi"]
"""Words that name an animal food unless the recipe says otherwise ("vegetable stock")."""
ANIMAL_PRODUCT_WORDS = (
    "milk butter buttered buttermilk butterscotch cream creamed crème creme cheese yogurt"
    " yoghurt kefir ghee whey casein curd custard paneer ricotta mozzarella parmesan"
    " parmigiano pecorino cheddar feta brie camembert gouda gruyere gruyère emmental"
    " emmentaler mascarpone halloumi manchego provolone roquefort gorgonzola stilton fontina"
    " asiago queso half-and-half mayonnaise mayo aioli egg eggnog yolk meringue honey"
    " honeycomb pesto béchamel bechamel hollandaise alfredo brioche quark labneh skyr burrata"
    " fromage tzatziki raita lassi kulfi khoa khoya brunost albumen gelato"
).split()

DECLARATIONS = (
    r"(?<!non-)(?<!non )"
    r"(?:vegetarian|vegan|veggie|meatless|meat-free|plant-based|mock|faux|imitation)"
)
"""Words that declare what follows a plant food, even one word on ("vegan paprika bratwurst")."""
PLANT_FOODS = r"soy|soya|tofu|seitan|tempeh|jackfruit|tvp|quorn|plant|textured vegetable"
"""Plant foods that, right in front of an animal food's name, make a substitute ("tofu bacon")."""
_PLANT_MILKS = (
    r"coconut|almond|soy|soya|oat|rice|cashew|hemp|nut|plant|flax|hazelnut|pea|macadamia|walnut"
    r"|quinoa|spelt|peanut|groundnut|sesame|grain|seed|tiger\s+nut|pistachio|hemp\s+seed"
)

NOT_ANIMAL = [
    r"\b(?:vegetable|veggie|mushroom|kombu|seaweed|vegan|vegetarian|veg|onion|tomato|miso)"
    r"\s+(?P<head>stock|broth|bouillon|dashi|consomm[ée]|seasoning\s+cube)s?\b",
    rf"\b{DECLARATIONS}\s+(?:(?!and\b|or\b|but\b|with\b|plus\b)[\w'-]+\s+)?(?P<head>[\w'-]+)",
    rf"\b(?:{PLANT_FOODS})\s+(?P<head>[\w'-]+)",
    r"\b(?:dairy|lactose|milk|egg|meat|animal|gelatine?)-free\s+(?P<head>[\w'-]+)",
    r"\b[\w-]+-(?:free|like)\b",
    rf"\b(?:{_PLANT_MILKS})\s+(?P<head>milk|cream|butter|yogh?urt|cheese|creamer)s?\b",
    r"\b(?:peanut|almond|cashew|nut|apple|cocoa|cacao|shea|sunflower|seed|pecan|pistachio"
    r"|hazelnut|walnut|macadamia|pumpkin|sesame|fruit|pear|plum)\s+(?P<head>butter)\b",
    r"\bsqueez\w*\s+out\s+(?:the\s+)?(?:\w+\s+)?(?P<head>milk)\b",
    r"\bmak\w*\s+(?:a\s+|the\s+)?(?:\w+\s+)?(?P<head>stock|broth)\b",
    r"\b(?P<sub>[\w'-]+)\s+(?:substitutes?|alternatives?|replacers?|analogues?)\b",
    r"\bbutter\s+(?:beans?|lettuce|nut|squash|kni(?:fe|ves))\b",
    r"\bcheese\s*cloths?\b|\bcustard\s+(?:cups?|powder)\b|\bcream\s+soda\b|\bmaple\s+cream\b",
    r"\bpoultry\s+seasoning\b",
    r"\bstock\s*pots?\b|\bstockpots?\b|\blobster\s+pots?\b|\bfish\s+(?:it\s+|them\s+)?out\b",
    r"\b(?:shrimp|crab|fish)\s+eyes\b",
    r"\bcream\s+of\s+(?:tartar|wheat)\b",
    r"\bbean\s+curds?\b",
    r"\b(?:flax|chia)\s+(?P<head>eggs?)\b",
    r"\begg\s+replacer\b",
    r"\bmilk\s+thistle\b",
    r"\bkidney\s+beans?\b",
    r"\bpigeon\s+peas?\b",
    r"\boyster\s+mushrooms?\b",
    r"\bcrab\s*apples?\b",
    r"\blamb'?s\s+(?:lettuce|quarters?)\b",
    r"\b(?:coconut|nut|fruit|avocado|mango|melon)\s+meat\b",
    r"\bmeat\s+(?:from|of)\s+the\s+(?:shell|coconut|nut|fruit)s?\b",
    r"\bduck\s+sauce\b",
    r"\b(?:hamburger|hot\s+dog)\s+buns?\b",
    r"\bsnail[- ]shells?\b|\b\w+[- ]shaped\b|\bshaped\s+like\s+(?:an?\s+)?\w+",
    r"\b(?:into|form|forming|shape|shaped)\s+(?:\w+\s+){0,3}?sausages?(?:\s+shapes?)?\b",
    r"\bsausage[- ]shape[sd]?\b",
    r"(?:^|[.;!]\s*|\band\s+|\bthen\s+)cream(?:ed)?\b(?!\s+(?:cheese|of|sauce|and))",
    r"\bcream(?:ed|ing)?\s+(?:together|until|the|it|them|well)\b",
    r"\buntil\s+(?:light\s+and\s+)?(?:creamy|creamed)\b",
    r"\b(?:egg|milk)plants?\b",
]
"""Plant foods, tools and shapes named after animal foods; the named group `head` is the
animal word the phrase stands in for, so a bare mention later ("add the milk") is read
as the same plant food."""

COMPARISONS = re.compile(
    r"(?:(?<=\()like|\b(?:thinner|thicker|lighter|heavier|richer|softer|firmer)\s+than"
    r"|\b(?:just|looks?)\s+like|\blike\s+(?:a\s+)?(?:traditional|real|regular|normal)"
    r"|\b(?:resembles?|resembling|imitates?|simulates?|mimics?|similar(?:\s+[\w-]+){0,3}?\s+to"
    r"|instead\s+of|in\s+place\s+of|substitutes?\s+for|replacements?\s+for|alternative\s+to"
    r"|rather\s+than|as\s+you\s+would|the\s+way\s+you\s+would|of\s+traditional|without(?:\s+the)?"
    r"|omit(?:ting)?|leave\s+out|(?:colou?r|brown|texture|consistency|shape|look)\s+(?:of|to)"
    r"|obtained\s+(?:through|from)|found\s+in|comes?\s+from|sources?\s+of))\b"
    r"(?=(?P<window>(?:[\s,/]+(?:and/or|[\w'-]+)){1,4}))"
)
"""Animal words in the few words after these are compared with, or left out, not used."""

PAIRINGS = re.compile(
    r"\b(?:serve[ds]?|serving|enjoy(?:ed)?|eat(?:en)?)\b[^.;]*?\b(?:with|alongside|beside|over"
    r"|on|next\s+to)\b|\baccompan(?:ied|y|iment)\s+(?:by|with|to|for)?\b|\bas\s+a\s+side\b"
    r"|\bside\s+dish\b|\bgoes\s+well\s+with\b|\bpairs?\s+(?:well\s+)?with\b|\b(?:garnish|condiment"
    r"|dip|rub|sauce|marinade|seasoning|topping|relish)\s+(?:for|on|to)\b|\buse[ds]?\b[^.;]*?"
    r"\b(?:for|on|with|when|to\s+(?:marinate|season|baste|coat|flavou?r))\b|\bto\s+use\b"
    r"|\bmarinate\b|\bbaste\b|\b(?:rub|drizzle|brush|spread|sprinkle|spoon)\s+(?:\w+\s+)?"
    r"(?:on|onto|over|into)\b|\bper\s+[\d½¼¾/. ]+\s*(?:lbs?|pounds?|kg|g)\s+of\b"
    r"|\b(?:popular|common|typical|traditional)\s+\w+\s+include\b"
)
"""Openings of a clause that pairs the dish with a food rather than putting it in."""

PREPARED_FOODS = re.compile(
    r"\b(?P<word>sponge\s+cakes?|cakes?|icing|frosting|pie\s+(?:crust|shell)s?|pastry|shortcrust"
    r"|biscuits?|cookies?|wafers?|ladyfingers?|croissants?|pancake\s+mix|complete\s+mix)\b"
    r"(?!\s+(?:flour|pan|tin|mix|sheet|brush|cutter|sugar|of\b))(?<!yeast cake)"
)
"""Bought or made foods, named as ingredients, that are usually made with butter, milk or eggs:
they leave a vegan label unclear unless the line says they are vegan."""
MEAT_SUBSTITUTES = re.compile(
    r"\b(?P<word>(?:meat|beef|chicken|pork|sausage|burger|turkey|bacon)\s+(?:substitute|analogue"
    r"|alternative|replacement)s?|crumbles)\b"
)
"""Bought meat substitutes: vegetarian, but not vegan unless the line says so."""

BIRD_EGG = re.compile(r"\b(?:duck|quail|goose|chicken|hen)(?:'s)?\s+(eggs?)\b")
GOAT_DAIRY = re.compile(
    r"\b(?:goat|sheep|ewe|buffalo|camel|cow|donkey|mare)(?:'s)?\s+(milk|cheese|yogh?urt|butter)\b"
)
