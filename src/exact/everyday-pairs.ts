/**
 * Held-out short everyday sentence pairs for judging exact variants (issue 14): written
 * for PairLens by its authors (original sentences, no source), never used in training
 * (corpus-asset.test.ts checks that no sentence here occurs in the training corpus).
 * They cover what the training genres lack: short sentences about daily life, in
 * five kinds, from unrelated to near-identical.
 *
 *  * paraphrase: the same meaning in other words;
 *  * unrelated:  two sentences about different things;
 *  * negation:   one sentence and its denial;
 *  * antonym:    one word swapped for its opposite;
 *  * roles:      the same words with who-does-what-to-whom swapped.
 */
export type EverydayKind = 'paraphrase' | 'unrelated' | 'negation' | 'antonym' | 'roles';

export interface EverydayPair {
  a: string;
  b: string;
  kind: EverydayKind;
}

export const EVERYDAY_KINDS: readonly EverydayKind[] = ['paraphrase', 'unrelated', 'negation', 'antonym', 'roles'];

const P = (a: string, b: string): EverydayPair => ({ a, b, kind: 'paraphrase' });
const U = (a: string, b: string): EverydayPair => ({ a, b, kind: 'unrelated' });
const N = (a: string, b: string): EverydayPair => ({ a, b, kind: 'negation' });
const A = (a: string, b: string): EverydayPair => ({ a, b, kind: 'antonym' });
const R = (a: string, b: string): EverydayPair => ({ a, b, kind: 'roles' });

export const EVERYDAY_PAIRS: readonly EverydayPair[] = [
  P('The bus was late again this morning.', 'This morning the bus came late once more.'),
  P('Could you pass me the salt, please?', 'Would you hand me the salt?'),
  P('My phone battery died during the call.', 'The call dropped because my phone ran out of power.'),
  P('We ordered pizza for dinner last night.', 'Last night we had pizza delivered for supper.'),
  P('She is learning to play the guitar.', 'She is taking guitar lessons.'),
  P('The shop closes at six on Sundays.', 'On Sundays the store shuts at six.'),
  P('I forgot my umbrella and got soaked.', 'I left my umbrella at home and got wet through.'),
  P('The kids are playing in the garden.', 'The children are out in the yard playing.'),
  P('He fixed the leaking tap in the kitchen.', 'He repaired the dripping kitchen faucet.'),
  P('It is too cold to go swimming today.', 'Today the weather is too chilly for a swim.'),
  P('The meeting has been moved to Thursday.', 'We rescheduled the meeting for Thursday.'),
  P('My sister just bought a new car.', 'My sister has recently purchased a new car.'),
  P('The coffee here is really good.', 'This place makes excellent coffee.'),
  P('I need to do the laundry tonight.', 'Tonight I have to wash my clothes.'),
  P('The train to the airport leaves every ten minutes.', 'Airport trains depart every ten minutes.'),
  P('He walks his dog twice a day.', 'Twice daily he takes his dog for a walk.'),
  P('Please turn off the lights when you leave.', 'Switch the lights off on your way out, please.'),
  P('The movie was so boring that I fell asleep.', 'I dozed off because the film was dull.'),
  P('Our neighbours are having a party tonight.', 'The people next door are throwing a party this evening.'),
  P('I am running a little late for work.', 'I will be slightly late to the office.'),
  P('The baby finally fell asleep.', 'At last the baby went to sleep.'),
  P('She paid for lunch with her card.', 'She used her card to pay for lunch.'),
  P('The printer is out of paper.', 'There is no paper left in the printer.'),
  P('We are going to the beach on Saturday.', 'On Saturday we will head to the seaside.'),
  P('My back hurts after moving the sofa.', 'Moving the couch left my back aching.'),

  U('The bus was late again this morning.', 'My grandmother knits scarves for the whole family.'),
  U('Could you pass me the salt, please?', 'The football match was cancelled because of snow.'),
  U('I forgot my umbrella and got soaked.', 'Our cat likes to sleep on the piano.'),
  U('The kids are playing in the garden.', 'The bank raised its interest rates again.'),
  U('He fixed the leaking tap in the kitchen.', 'She is reading a novel about pirates.'),
  U('The meeting has been moved to Thursday.', 'Tomatoes grow best in full sun.'),
  U('My sister just bought a new car.', 'The library is collecting old books for charity.'),
  U('The coffee here is really good.', 'He broke his arm skiing last winter.'),
  U('I need to do the laundry tonight.', 'The museum has a new exhibit on dinosaurs.'),
  U('He walks his dog twice a day.', 'The password must contain at least one number.'),
  U('Please turn off the lights when you leave.', 'My uncle grew up on a farm in the hills.'),
  U('The baby finally fell asleep.', 'Ticket prices for the concert went up.'),
  U('She paid for lunch with her card.', 'The river flooded the lower fields.'),
  U('The printer is out of paper.', 'We saw a rainbow over the lake.'),
  U('We are going to the beach on Saturday.', 'He cannot find the charger for his laptop.'),
  U('My back hurts after moving the sofa.', 'The choir sang beautifully at the wedding.'),
  U('I love the smell of fresh bread.', 'The car needs new tyres before winter.'),
  U('The dentist appointment is at noon.', 'Elephants can live for seventy years.'),
  U('She painted the bedroom light blue.', 'The flight to Madrid was overbooked.'),
  U('Can you water the plants while I am away?', 'The team lost the final by one goal.'),
  U('The soup needs a little more salt.', 'My laptop keeps restarting on its own.'),
  U('He is saving money for a new bike.', 'The hotel breakfast starts at seven.'),
  U('The parcel arrived a day early.', 'Owls hunt mostly at night.'),
  U('I have a headache from the noise.', 'The town is building a new swimming pool.'),
  U('They moved into a flat near the station.', 'Chess is a game of patience.'),
  U('Dinner is ready.', 'The shoes were too small.'),
  U('It snowed all night.', 'She plays the violin.'),
  U('I lost my keys.', 'The tea is too sweet.'),
  U('The door is locked.', 'We adopted a puppy.'),
  U('He is a nurse.', 'The sun is setting.'),

  N('The shop is open today.', 'The shop is not open today.'),
  N('I like spicy food.', 'I do not like spicy food.'),
  N('She remembered to call her mother.', 'She forgot to call her mother.'),
  N('The train is on time.', 'The train is not on time.'),
  N('He can swim.', 'He cannot swim.'),
  N('We will be home for dinner.', 'We will not be home for dinner.'),
  N('The milk has gone off.', 'The milk has not gone off.'),
  N('They enjoyed the concert.', 'They did not enjoy the concert.'),
  N('My phone is working again.', 'My phone is still not working.'),
  N('There is enough bread for breakfast.', 'There is not enough bread for breakfast.'),
  N('The children finished their homework.', 'The children never finished their homework.'),
  N('I have seen that film before.', 'I have never seen that film.'),
  N('The heating is on.', 'The heating is off.'),
  N('She always takes the stairs.', 'She never takes the stairs.'),
  N('Everyone came to the party.', 'Nobody came to the party.'),
  N('The parcel was delivered.', 'The parcel was not delivered.'),
  N('He likes his new job.', 'He does not like his new job.'),
  N('It is raining outside.', 'It is not raining outside.'),
  N('We have milk in the fridge.', 'We have no milk in the fridge.'),
  N('The tickets are still available.', 'The tickets are no longer available.'),

  A('The water in the pool is warm.', 'The water in the pool is cold.'),
  A('This suitcase is very heavy.', 'This suitcase is very light.'),
  A('The restaurant was full tonight.', 'The restaurant was empty tonight.'),
  A('He arrived early for the interview.', 'He arrived late for the interview.'),
  A('The test was easy.', 'The test was hard.'),
  A('Prices went up this month.', 'Prices went down this month.'),
  A('She won the tennis match.', 'She lost the tennis match.'),
  A('The street is quiet at night.', 'The street is noisy at night.'),
  A('My new shoes are comfortable.', 'My new shoes are uncomfortable.'),
  A('The soup is too hot.', 'The soup is too cold.'),
  A('The room is bright in the morning.', 'The room is dark in the morning.'),
  A('He bought an old house.', 'He bought a new house.'),
  A('The queue was short.', 'The queue was long.'),
  A('I feel happy today.', 'I feel sad today.'),
  A('The bread is fresh.', 'The bread is stale.'),
  A('She opened the window.', 'She closed the window.'),
  A('The shop sells cheap clothes.', 'The shop sells expensive clothes.'),
  A('Turn left at the bakery.', 'Turn right at the bakery.'),
  A('The baby is awake.', 'The baby is asleep.'),
  A('Our team is winning.', 'Our team is losing.'),

  R('The dog chased the cat.', 'The cat chased the dog.'),
  R('Anna called her brother.', 'Her brother called Anna.'),
  R('The teacher thanked the student.', 'The student thanked the teacher.'),
  R('My father taught me to cook.', 'I taught my father to cook.'),
  R('The boy pushed the girl on the swing.', 'The girl pushed the boy on the swing.'),
  R('Tom owes Sarah ten pounds.', 'Sarah owes Tom ten pounds.'),
  R('The doctor visited the patient at home.', 'The patient visited the doctor at home.'),
  R('The customer complained to the waiter.', 'The waiter complained to the customer.'),
  R('Jack sold his bike to Emma.', 'Emma sold her bike to Jack.'),
  R('The cat is sitting on the box.', 'The box is sitting on the cat.'),
  R('My neighbour borrowed my ladder.', 'I borrowed my neighbour\u2019s ladder.'),
  R('The mother fed the child.', 'The child fed the mother.'),
  R('The police followed the thief.', 'The thief followed the police.'),
  R('Lisa is waiting for Mark.', 'Mark is waiting for Lisa.'),
  R('The company hired the student.', 'The student hired the company.'),
  R('The bird watched the fox.', 'The fox watched the bird.'),
  R('The manager emailed the new assistant.', 'The new assistant emailed the manager.'),
  R('Grandpa read a story to the twins.', 'The twins read a story to Grandpa.'),
  R('The cup is inside the bowl.', 'The bowl is inside the cup.'),
  R('Paul beat his coach at chess.', 'His coach beat Paul at chess.'),
];
